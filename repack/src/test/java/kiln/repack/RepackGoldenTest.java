package kiln.repack;

import kiln.tensor.testing.FileHashes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code llama-quantize --repack} run recorded in the fixtures ({@code results/commands.json} of each model) is
 * reproduced from its base file and must give the recorded sha256 (the repacked files themselves are in the
 * MANIFESTs' "not included" tables); then {@code --undo} of Kiln's output must give back the base file byte for
 * byte. Runs whose base file is not in the fixtures (tiny-llama's) are reported as skipped.
 */
class RepackGoldenTest {
    private static final Pattern REPACK = Pattern.compile("llama-quantize --repack (\\S+) (\\S+) (\\S+) (\\d+)$");

    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> everyRecordedRepack() throws IOException {
        Path root = Fixtures.require();
        ObjectMapper json = new ObjectMapper();
        List<DynamicTest> tests = new ArrayList<>();
        try (var models = Files.list(root)) {
            for (Path model : models.sorted().toList()) {
                Path commands = model.resolve("results/commands.json");
                if (!Files.exists(commands)) continue;
                Map<String, String> recorded = new HashMap<>();
                Path notIncluded = model.resolve("results/not_included_artifacts.json");
                if (Files.exists(notIncluded)) {
                    for (JsonNode e : json.readTree(notIncluded.toFile())) recorded.put(e.get("file").asText(), e.get("sha256").asText());
                }
                for (JsonNode c : json.readTree(commands.toFile())) {
                    Matcher m = REPACK.matcher(c.get("cmd").asText());
                    if (!m.find()) continue;
                    String in = m.group(1), out = m.group(2), threads = m.group(4);
                    tests.add(DynamicTest.dynamicTest(model.getFileName() + " " + c.get("tag").asText(),
                            () -> reproduce(model, in, out, threads, recorded)));
                }
            }
        }
        assertFalse(tests.isEmpty(), "no --repack runs found in the fixtures");
        return tests;
    }

    private void reproduce(Path model, String in, String out, String threads, Map<String, String> recorded) {
        Path base = model.resolve(in);
        Assumptions.assumeTrue(Files.exists(base), "base file " + in + " of " + model.getFileName() + " is not in the fixtures");
        String expected = Files.exists(model.resolve(out)) ? FileHashes.sha256(model.resolve(out)) : recorded.get(out);
        Assumptions.assumeTrue(expected != null, "no sha256 recorded for " + out);

        Path mine = tmp.resolve(Path.of(out).getFileName());
        assertEquals(0, TestFiles.repack(base.toString(), mine.toString(), "-t", threads));
        assertEquals(expected, FileHashes.sha256(mine), "kiln repack " + in + " differs from ik's " + out);

        Path undone = tmp.resolve("undo-" + base.getFileName());
        assertEquals(0, TestFiles.repack("--undo", mine.toString(), undone.toString(), "-t", "3"));
        assertEquals(FileHashes.sha256(base), FileHashes.sha256(undone), "kiln repack --undo does not restore " + in);
        assertTrue(Files.notExists(undone.resolveSibling(undone.getFileName() + ".tmp")));
    }
}
