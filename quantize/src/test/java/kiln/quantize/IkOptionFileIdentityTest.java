package kiln.quantize;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * ik's own type options through to the bytes: {@code kiln quantize --flavor ik --attn-k-type … --ffn-gate-inp-type …
 * --custom-q …} writes the file ik's llama-quantize wrote with the same options (sha256 in
 * {@code ik-option-files.sha256}).
 */
class IkOptionFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksFileWithItsOptions() throws IOException {
        return IqkFileIdentityTest.fromShaList("ik-option-files.sha256", tmp);
    }
}
