package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.tensor.gguf.GgufFile;
import kiln.validate.compat.Compatibility;
import kiln.validate.compat.RuntimeVerdict;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The verdicts agree with what the real runtimes did: every entry of every fixture's {@code results/crossload.json}
 * (loads or not, and the runtime's own error text inside the reason), and every file a tool produced loads in that
 * tool. Files not kept in the fixtures are rebuilt header-only from {@code results/gguf_inventory.json}.
 */
class CrossloadTest {
    /** The lines of the runtimes' error output that say why. */
    private static final List<Pattern> KEY_ERRORS = List.of(
            Pattern.compile("wrong number of tensors; expected \\d+, got \\d+"),
            Pattern.compile("tensor '[^']+' has invalid ggml type \\d+\\. should be in \\[0, \\d+\\)"),
            Pattern.compile("Detected incompatible DeepSeek model without a known way to fix it"));

    private static ModelView model(Path dir, String relative, JsonNode inventory) {
        Path p = dir.resolve(relative);
        if (Files.exists(p)) {
            try (GgufFile f = GgufFile.open(p)) {
                return ModelView.of(f);
            }
        }
        JsonNode entry = inventory.get(relative);
        assertNotNull(entry, relative + " is neither in the fixtures nor in gguf_inventory.json");
        return FixtureFiles.fromInventory(relative, entry);
    }

    private static RuntimeVerdict verdict(String loadedBy, ModelView m) {
        return switch (loadedBy) {
            case "mainline" -> Compatibility.mainline(m);
            case "ik" -> Compatibility.ik(m);
            default -> throw new IllegalStateException(loadedBy);
        };
    }

    @Test
    void everyCrossloadEntryAgrees() throws IOException {
        int checked = 0;
        for (Path dir : FixtureFiles.modelDirs()) {
            Path cross = dir.resolve("results/crossload.json");
            if (!Files.exists(cross)) continue;
            Path invPath = dir.resolve("results/gguf_inventory.json");
            JsonNode inventory = Files.exists(invPath) ? FixtureFiles.json(invPath) : FixtureFiles.MAPPER.createObjectNode();
            for (var e : FixtureFiles.json(cross).properties()) {
                JsonNode c = e.getValue();
                String what = dir.getFileName() + " " + e.getKey();
                ModelView m = model(dir, c.get("file").asText(), inventory);
                RuntimeVerdict v = verdict(c.get("loaded_by").asText(), m);
                assertEquals(c.get("loads").booleanValue(), v.loads(), what + ": " + v.line());
                if (!c.get("loads").booleanValue()) {
                    String key = keyError(c.get("error").asText());
                    assertTrue(v.reason().contains(key), what + ": the reason should contain \"" + key + "\" but is: " + v.reason());
                }
                checked++;
            }
        }
        assertTrue(checked >= 17, "only " + checked + " cross-loading entries found");
    }

    private static String keyError(String error) {
        for (Pattern p : KEY_ERRORS) {
            Matcher m = p.matcher(error);
            if (m.find()) return m.group();
        }
        fail("no known refusal in: " + error);
        return null;
    }

    /** Each tool loads what it produced (the fixtures ran perplexity on each of them). */
    @Test
    void eachToolLoadsItsOwnFiles() throws IOException {
        int checked = 0;
        for (Path dir : FixtureFiles.modelDirs()) {
            Path invPath = dir.resolve("results/gguf_inventory.json");
            if (!Files.exists(invPath)) continue;
            for (var e : FixtureFiles.json(invPath).properties()) {
                if (!e.getValue().has("tensors")) continue; // a failed run ("GGUF magic invalid")
                ModelView m = FixtureFiles.fromInventory(e.getKey(), e.getValue());
                String tool = e.getKey().substring(0, e.getKey().indexOf('/'));
                RuntimeVerdict v = verdict(tool, m);
                assertEquals(true, v.loads(), dir.getFileName() + " " + e.getKey() + ": " + v.line());
                assertEquals(m.tensors().size(), v.expectedTensors(), e.getKey());
                checked++;
            }
        }
        assertTrue(checked >= 50, "only " + checked + " inventory entries found");
    }

    /** The command reports the same verdicts as the library, in the JSON fields the issue asks for. */
    @Test
    void commandJsonCarriesTheVerdicts() throws IOException {
        Path dir = kiln.tensor.testing.Fixtures.require().resolve("tiny-deepseek");
        Cli.Result r = Cli.validate("--json", dir.resolve("ik/tiny-deepseek-Q8_0_R8.gguf").toString(),
                dir.resolve("mainline/tiny-deepseek-bf16.gguf").toString());
        assertEquals(0, r.exit(), r.all());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        JsonNode ik = FixtureFiles.MAPPER.readTree(lines[0]);
        assertEquals(55, ik.get("tensor_count").intValue());
        assertEquals("deepseek2", ik.get("architecture").asText());
        assertTrue(ik.get("valid").booleanValue());
        assertTrue(ik.get("errors").isEmpty());
        JsonNode ml = ik.get("runtimes").get("llama.cpp");
        assertEquals(false, ml.get("loads").booleanValue());
        assertEquals(49, ml.get("expected_tensors").intValue());
        assertTrue(ml.get("reason").asText().contains("has invalid ggml type 208"));
        assertTrue(ml.get("reason").asText().contains("kiln repack --undo"));
        assertEquals(true, ik.get("runtimes").get("ik_llama.cpp").get("loads").booleanValue());
        assertEquals(55, ik.get("runtimes").get("ik_llama.cpp").get("expected_tensors").intValue());
        assertTrue(ik.get("runtimes").has("kiln"));
        JsonNode mainline = FixtureFiles.MAPPER.readTree(lines[1]);
        assertEquals(true, mainline.get("runtimes").get("llama.cpp").get("loads").booleanValue());
        assertEquals(52, mainline.get("runtimes").get("llama.cpp").get("expected_tensors").intValue());
        assertEquals(true, mainline.get("runtimes").get("kiln").get("loads").booleanValue());
        assertEquals(false, mainline.get("runtimes").get("ik_llama.cpp").get("loads").booleanValue());
    }
}
