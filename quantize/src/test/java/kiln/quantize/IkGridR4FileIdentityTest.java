package kiln.quantize;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * ik's _R4 grid mixes (IQ2_XXS_R4, IQ2_XS_R4, IQ2_M_R4, IQ3_XXS_R4, IQ3_S_R4) through to the bytes: their type rules
 * ({@code output}/{@code token_embd} included) with the grid codecs and the interleaving give the file ik's
 * llama-quantize wrote (sha256 in {@code ik-mix-files.sha256}), on both fixture models with imatrix.
 */
class IkGridR4FileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksGridR4Files() throws IOException {
        return IqkFileIdentityTest.fromShaList("ik-mix-files.sha256", tmp);
    }
}
