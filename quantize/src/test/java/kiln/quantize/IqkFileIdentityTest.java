package kiln.quantize;

import kiln.tensor.codec.Flavor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whole-file byte identity for ik's IQ*_K file types: {@code kiln quantize --flavor ik --imatrix …} on the fixtures'
 * bf16 files writes the file ik's llama-quantize wrote with the same arguments (its sha256 is in
 * {@code iqk-files.sha256}, whose header says how it was made) — ik's type choices for DeepSeek and Llama, the
 * codecs, the interleaving of the _R4 types and the metadata together.
 */
class IqkFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksFile() throws IOException {
        return fromShaList("iqk-files.sha256", tmp);
    }

    /** One test per line of a sha256 list of ik-made files ("model input imatrix type sha256 [options...]"). */
    static List<DynamicTest> fromShaList(String resource, Path tmp) throws IOException {
        // each test needs the fixtures (FixtureCommands.dir): without them each is reported as skipped
        List<DynamicTest> tests = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                IqkFileIdentityTest.class.getResourceAsStream(resource)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+"); // model input imatrix type sha256 [options...]
                List<String> options = List.of(f).subList(5, f.length);
                FixtureCommands c = new FixtureCommands(f[0], f[3], Flavor.IK, f[1], f[3] + ".gguf", f[3],
                        f[2].equals("-") ? null : f[2], options, 0);
                tests.add(DynamicTest.dynamicTest(f[0] + " " + f[3] + (c.imatrix() != null ? " (imatrix)" : "")
                                + (options.isEmpty() ? "" : " " + String.join(" ", options)),
                        () -> FixtureByteIdentityTest.quantizeAndCompare(c, f[4], tmp)));
            }
        }
        return tests;
    }
}
