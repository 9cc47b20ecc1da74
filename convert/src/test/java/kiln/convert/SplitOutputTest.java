package kiln.convert;

import kiln.convert.cli.ConvertCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValueType;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --split-max-size: names, split.* keys and shard boundaries as convert_hf_to_gguf.py; the set holds the same model. */
class SplitOutputTest {
    @TempDir
    Path tmp;

    @Test
    void splitSetEqualsSingleFile() {
        Fixtures.require();
        Path single = tmp.resolve("single.gguf");
        Path split = tmp.resolve("model.gguf");
        String hf = Fixtures.file("tiny-deepseek/hf").toString();
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", single.toString(), "--no-progress"));
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", split.toString(), "--split-max-size", "3M", "--no-progress"));
        assertFalse(Files.exists(split), "only the numbered files are written");
        Path first = tmp.resolve("model-00001-of-00005.gguf");
        assertTrue(Files.exists(first) && Files.exists(tmp.resolve("model-00005-of-00005.gguf")));
        try (GgufFile s = GgufFile.open(single); GgufFile set = GgufFile.open(first)) {
            List<String> keys = new ArrayList<>(set.metadata().keys());
            int n = keys.size();
            assertEquals(List.of("split.no", "split.count", "split.tensors.count"), keys.subList(n - 3, n));
            assertEquals(GgufValueType.UINT16, set.metadata().get("split.count").type());
            assertEquals(GgufValueType.INT32, set.metadata().get("split.tensors.count").type());
            assertEquals(new ArrayList<>(s.metadata().keys()), keys.subList(0, n - 3));
            assertEquals(GgufAssert.names(s.tensors()), GgufAssert.names(set.tensors()));
            for (TensorInfo t : s.tensors()) assertEquals(-1, s.data(t).mismatch(set.data(set.tensor(t.name()))), t.name());
            // Shard boundaries: each shard's raw bytes stay within 3 MB unless it holds one tensor, and the next tensor did not fit.
            for (GgufFile.Shard sh : set.shards()) {
                long bytes = 0;
                for (TensorInfo t : sh.tensors()) bytes += t.byteSize();
                assertTrue(bytes <= 3_000_000 || sh.tensors().size() == 1, "shard " + sh.path() + " holds " + bytes);
                if (sh != set.shards().getLast()) {
                    TensorInfo next = set.shards().get(set.shards().indexOf(sh) + 1).tensors().getFirst();
                    assertTrue(bytes + next.byteSize() > 3_000_000);
                }
            }
            assertEquals(3, set.shards().get(1).metadata().size(), "other shards carry only the split keys");
        }
    }
}
