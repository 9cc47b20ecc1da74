package kiln.quantize;

import static kiln.tensor.testing.FileHashes.sha256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Full byte identity: for every llama-quantize run recorded in the fixtures, {@code kiln quantize --flavor <tool>}
 * on the same input (and imatrix) writes a file whose sha256 is the reference file's, or, for files not kept in
 * the fixtures, the sha256 recorded in results/not_included_artifacts.json. A run whose types Kiln has no codec
 * for yet is reported as skipped, naming the missing codec.
 */
class FixtureByteIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyRecordedQuantizationIsReproducedByteForByte() {
        Fixtures.require();
        return FixtureCommands.all().stream().filter(c -> c.rc() == 0)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private void check(FixtureCommands c) throws Exception {
        String want = expectedSha(c);
        Assumptions.assumeTrue(want != null, "no reference sha256 for " + c.output());
        quantizeAndCompare(c, want, tmp);
    }

    /** Runs {@code kiln quantize} for {@code c} into {@code tmp} and compares the file's sha256 with {@code want}. */
    static void quantizeAndCompare(FixtureCommands c, String want, Path tmp) throws Exception {
        Path out = tmp.resolve(c.tag() + ".gguf");
        QuantizePlan plan = c.cliPlan(out);
        try {
            Quantizer.checkCodecs(plan);
        } catch (KilnException e) {
            Assumptions.abort(e.getMessage());
        }
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.imatrixLabel = c.imatrix();
        cmd.out = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        assertEquals(0, CliSupport.run(cmd, c.kilnArgs(out)), c + ": exit code");
        assertEquals(want, sha256(out), c + ": sha256 of " + c.output() + (firstDifference(c, out)));
        Files.delete(out);
    }

    /** For a mismatch: the first tensor whose bytes differ, when the reference file is present. */
    private static String firstDifference(FixtureCommands c, Path out) {
        Path ref = c.dir().resolve(c.output());
        if (!Files.exists(ref)) return "";
        try (GgufFile a = GgufFile.open(ref); GgufFile b = GgufFile.open(out)) {
            for (var t : a.tensors()) {
                var u = b.tensor(t.name());
                if (u == null || u.type() != t.type()) return " (tensor " + t.name() + " type differs)";
                if (a.data(t).mismatch(b.data(u)) != -1) return " (first differing tensor: " + t.name() + " " + t.type() + ")";
            }
            return " (tensor data equal; header differs)";
        }
    }

    static String expectedSha(FixtureCommands c) throws Exception {
        Path ref = c.dir().resolve(c.output());
        if (Files.exists(ref)) return sha256(ref);
        JsonNode arr = new ObjectMapper().readTree(c.dir().resolve("results/not_included_artifacts.json").toFile());
        for (JsonNode n : arr) if (n.get("file").asText().equals(c.output())) return n.get("sha256").asText();
        return null;
    }


}
