package kiln.quantize;

import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Whole-file byte identity for ik's trellis file types (IQ1_KT … IQ4_KT) and Q8_KV, written with {@code --pure}:
 * {@code kiln quantize --flavor ik …} writes the file ik's llama-quantize wrote with the same arguments
 * ({@code trellis-files.sha256}, whose header says how it was made).
 */
class TrellisFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksFile() throws IOException {
        return IqkFileIdentityTest.fromShaList("trellis-files.sha256", tmp);
    }
}
