package kiln.repack;

import kiln.tensor.io.Checksums;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code kiln repack --checksums} writes OUT.sha256 that the output verifies against. */
class ChecksumsOptionTest {
    @TempDir
    Path tmp;

    @Test
    void repackWritesAVerifyingSidecar() {
        Path out = tmp.resolve("r4.gguf");
        assertEquals(0, TestFiles.repack(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q4_K_M.gguf").toString(), out.toString(), "--checksums"));
        assertTrue(Files.isRegularFile(tmp.resolve("r4.gguf.sha256")));
        assertEquals(List.of(), Checksums.verify(out, 2));
    }
}
