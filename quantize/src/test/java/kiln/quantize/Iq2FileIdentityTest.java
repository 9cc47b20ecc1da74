package kiln.quantize;

import kiln.tensor.codec.Flavor;
import kiln.tensor.testing.Fixtures;
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
 * Whole-file byte identity for the IQ2 file types: {@code kiln quantize --flavor mainline|ik --imatrix … IQ2_XXS|IQ2_XS}
 * (and IQ2_M {@code --pure}) on the fixtures' bf16 files writes the file each tool's llama-quantize wrote with the same
 * arguments ({@code iq2-files.sha256}, whose header says how they were made): the type mixes, the grid quantizers and
 * the metadata together.
 */
class Iq2FileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesEachToolsFile() throws IOException {
        Fixtures.require();
        List<DynamicTest> tests = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                Iq2FileIdentityTest.class.getResourceAsStream("iq2-files.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+"); // model flavour options input imatrix ftype sha256
                Flavor flavor = Flavor.parse(f[1]);
                List<String> options = f[2].equals("-") ? List.of() : List.of(f[2].split(","));
                FixtureCommands c = new FixtureCommands(f[0], f[1] + "-" + f[5], flavor, f[3], f[5] + ".gguf", f[5], f[4], options, 0);
                tests.add(DynamicTest.dynamicTest(f[0] + " " + f[1] + " " + f[5] + (options.isEmpty() ? "" : " " + f[2]),
                        () -> FixtureByteIdentityTest.quantizeAndCompare(c, f[6], tmp)));
            }
        }
        return tests;
    }
}
