package kiln.quantize;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * ik's COPY ftype: {@code kiln quantize --flavor ik IN OUT COPY} writes the file ik's llama-quantize wrote (sha256 in
 * {@code ik-copy.sha256}): every tensor copied, the input's own general.file_type, the imatrix keys when given one.
 */
class IkCopyFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksCopy() throws IOException {
        return IqkFileIdentityTest.fromShaList("ik-copy.sha256", tmp);
    }
}
