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
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Whole-file byte identity for the i-quant grid file types (IQ3_XXS, IQ3_S, IQ3_M, IQ1_S, IQ1_M, and the IQ2_S and IQ2_M
 * mixes, which use IQ3_S too) in both flavours:
 * {@code kiln quantize --flavor F [EXTRA] [--imatrix …]} on the fixtures' bf16 files writes the file that tool's
 * llama-quantize wrote with the same arguments ({@code grid-files.sha256}, whose header says how it was made).
 */
class GridFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesTheToolsFile() throws IOException {
        return fromList("grid-files.sha256", tmp);
    }

    /**
     * One test per line of {@code resource} (columns: tool, model, input, imatrix or "-", type, sha256, extra options).
     */
    static List<DynamicTest> fromList(String resource, Path tmp) throws IOException {
        Fixtures.require();
        List<DynamicTest> tests = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                GridFileIdentityTest.class.getResourceAsStream(resource), resource), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+"); // tool model input imatrix type sha256 extra...
                Flavor flavor = f[0].equals("ik") ? Flavor.IK : Flavor.MAINLINE;
                List<String> extra = Arrays.asList(f).subList(6, f.length);
                String tag = f[0] + "-" + f[4] + (f[3].equals("-") ? "" : "-imat") + String.join("", extra);
                FixtureCommands c = new FixtureCommands(f[1], tag, flavor, f[2], tag + ".gguf", f[4],
                        f[3].equals("-") ? null : f[3], extra, 0);
                tests.add(DynamicTest.dynamicTest(f[0] + " " + f[1] + " " + f[4] + (c.imatrix() != null ? " (imatrix)" : "")
                        + (extra.isEmpty() ? "" : " " + String.join(" ", extra)), () -> FixtureByteIdentityTest.quantizeAndCompare(c, f[5], tmp)));
            }
        }
        return tests;
    }
}
