package kiln.convert;

import kiln.convert.cli.ConvertCommand;
import kiln.tensor.GgmlType;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * --outtype q8_0: the converter's Q8_0 (gguf-py quants.py, spec §6.9) is bit-identical to ggml's reference quantizer,
 * so every tensor must equal the reference tools' Q8_0 file made by llama-quantize from the bf16 conversion.
 */
class Q8ConvertTest {
    @TempDir
    Path tmp;

    @Test
    void q8OuttypeMatchesReferenceQ8Bytes() {
        Fixtures.require();
        Path out = tmp.resolve("q8.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), Fixtures.file("tiny-deepseek/hf").toString(), "-o", out.toString(),
                "--outtype", "q8_0", "--mla-layout", "ik", "--no-progress"));
        try (GgufFile ref = GgufFile.open(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf")); GgufFile k = GgufFile.open(out)) {
            assertEquals(7L, k.metadata().get("general.file_type").asLong());
            assertEquals(GgufAssert.names(ref.tensors()), GgufAssert.names(k.tensors()));
            int q8 = 0;
            for (TensorInfo r : ref.tensors()) {
                TensorInfo t = k.tensor(r.name());
                assertEquals(r.type(), t.type(), "type of " + r.name());
                assertArrayEquals(r.ne(), t.ne(), r.name());
                assertEquals(-1, ref.data(r).mismatch(k.data(t)), "bytes of " + r.name());
                if (t.type() == GgmlType.Q8_0) q8++;
            }
            assertEquals(38, q8, "every 2-D weight but the router is Q8_0");
        }
    }
}
