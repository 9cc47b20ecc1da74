package kiln.quantize;

import kiln.tensor.cli.CliSupport;
import kiln.tensor.io.Checksums;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code kiln quantize --checksums} writes OUT.sha256 that the output verifies against; without it, no sidecar. */
class ChecksumsOptionTest {
    @TempDir
    Path tmp;

    @Test
    void sidecarOnlyWhenAsked() {
        String in = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString();
        Path with = tmp.resolve("with.gguf"), without = tmp.resolve("without.gguf");
        assertEquals(0, CliSupport.run(new QuantizeCommand(), in, with.toString(), "Q8_0", "--checksums"));
        assertEquals(0, CliSupport.run(new QuantizeCommand(), in, without.toString(), "Q8_0"));
        assertTrue(Files.isRegularFile(tmp.resolve("with.gguf.sha256")));
        assertFalse(Files.exists(tmp.resolve("without.gguf.sha256")));
        assertEquals(List.of(), Checksums.verify(with, 2));
    }
}
