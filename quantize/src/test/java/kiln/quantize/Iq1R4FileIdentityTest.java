package kiln.quantize;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Whole-file byte identity for ik's IQ1_S_R4 and IQ1_M_R4 file types: {@code kiln quantize --flavor ik [EXTRA]
 * [--imatrix …]} on the fixtures' bf16 files writes the file ik's llama-quantize wrote with the same arguments
 * ({@code iq1-r4-files.sha256}, whose header says how it was made): {@code --pure} runs with and without imatrix, and
 * ik's IQ1_S_R4/IQ1_M_R4 mixes with imatrix.
 */
class Iq1R4FileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksFile() throws IOException {
        return GridFileIdentityTest.fromList("iq1-r4-files.sha256", tmp);
    }
}
