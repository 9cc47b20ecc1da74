package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.tensor.GgmlType;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** inspect and validate on every GGUF under the fixtures, checked against the recorded inventories and counts. */
class FixtureCommandsTest {

    private static String relative(Path file) {
        Path modelDir = file.getParent().getParent();
        return modelDir.relativize(file).toString().replace('\\', '/');
    }

    private static JsonNode results(Path file, String name) throws IOException {
        Path p = file.getParent().getParent().resolve("results").resolve(name);
        return Files.exists(p) ? FixtureFiles.json(p) : FixtureFiles.MAPPER.createObjectNode();
    }

    @Test
    void inspectJsonMatchesTheRecordedInventory() throws IOException {
        int compared = 0;
        for (Path f : FixtureFiles.allGgufs()) {
            Cli.Result r = Cli.inspect("--json", f.toString());
            assertEquals(0, r.exit(), f + ": " + r.all());
            JsonNode j = FixtureFiles.MAPPER.readTree(r.out());
            assertEquals(Files.size(f), j.get("file_size").longValue(), f.toString());
            assertEquals(j.get("tensors").size(), j.get("tensor_count").intValue());
            long params = 0;
            long bytes = 0;
            for (JsonNode t : j.get("tensors")) {
                params += t.get("elements").longValue();
                bytes += t.get("bytes").longValue();
            }
            assertEquals(params, j.get("parameters").longValue());
            assertEquals(8.0 * bytes / params, j.get("bits_per_weight").doubleValue(), 1e-3);

            JsonNode counts = results(f, "tensor_counts.json").get(relative(f));
            if (counts != null && counts.hasNonNull("n_tensors")) {
                assertEquals(counts.get("n_tensors").intValue(), j.get("tensor_count").intValue(), f.toString());
                assertEquals(counts.get("bytes").longValue(), j.get("file_size").longValue(), f.toString());
                Map<String, Integer> want = new HashMap<>();
                for (var e : counts.get("tensor_types").properties()) want.put(GgmlType.byName(e.getKey()).ggmlName(), e.getValue().intValue());
                Map<String, Integer> got = new HashMap<>();
                for (var e : j.get("totals_by_type").properties()) got.put(e.getKey(), e.getValue().get("tensors").intValue());
                assertEquals(want, got, f.toString());
            }
            JsonNode inv = results(f, "gguf_inventory.json").get(relative(f));
            if (inv != null && inv.has("tensors")) {
                JsonNode want = inv.get("tensors");
                JsonNode got = j.get("tensors");
                assertEquals(want.size(), got.size(), f.toString());
                for (int i = 0; i < want.size(); i++) {
                    String what = f + " tensor #" + i;
                    assertEquals(want.get(i).get("name").asText(), got.get(i).get("name").asText(), what);
                    assertEquals(GgmlType.byName(want.get(i).get("type").asText()).ggmlName(), got.get(i).get("type").asText(), what);
                    assertEquals(want.get(i).get("shape"), got.get(i).get("shape"), what);
                    assertEquals(want.get(i).get("n_bytes").longValue(), got.get(i).get("bytes").longValue(), what);
                    assertEquals(want.get(i).get("offset").longValue(), got.get(i).get("offset").longValue(), what);
                }
                compared++;
            }
        }
        assertTrue(compared >= 10, "only " + compared + " files had a recorded inventory");
    }

    @Test
    void inspectTextShowsEverySection() throws IOException {
        for (Path f : FixtureFiles.allGgufs()) {
            Cli.Result r = Cli.inspect(f.toString());
            assertEquals(0, r.exit(), f + ": " + r.all());
            assertTrue(r.out().contains("metadata:") && r.out().contains("tensors:") && r.out().contains("totals by type:"), f.toString());
            assertTrue(r.out().contains("bits per weight"), f.toString());
            assertTrue(r.err().isEmpty(), r.err());
        }
        Path llama = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        String out = Cli.inspect(llama.toString()).out();
        assertTrue(out.contains("tokenizer.ggml.tokens"), out);
        assertTrue(out.contains("... (1024 str)"), "long arrays are abbreviated");
        assertTrue(out.contains("blk.3.ffn_up.weight"), out);
    }

    @Test
    void validateDeepPassesEveryFixture() throws IOException {
        for (Path f : FixtureFiles.allGgufs()) {
            Cli.Result r = Cli.validate("--deep", "--json", f.toString());
            assertEquals(0, r.exit(), f + ": " + r.all());
            JsonNode j = FixtureFiles.MAPPER.readTree(r.out());
            assertTrue(j.get("valid").booleanValue(), r.out());
            assertTrue(j.get("errors").isEmpty(), r.out());
            assertEquals(3, j.get("runtimes").size(), r.out());
            assertTrue(j.get("deep").get("tensors").intValue() > 0);
        }
    }

    @Test
    void kilnRunsAndDeepChecksEveryFixtureIncludingInterleavedTypes() throws IOException {
        for (Path f : FixtureFiles.allGgufs()) {
            if (f.getFileName().toString().contains("imatrix")) continue;
            Cli.Result r = Cli.validate("--deep", "--json", f.toString());
            JsonNode j = FixtureFiles.MAPPER.readTree(r.out());
            assertTrue(j.get("runtimes").get("kiln").get("loads").booleanValue(), f + ": " + r.out());
            assertEquals("", j.get("deep").path("not_checked_no_codec").asText(), f + ": every value must be decoded: " + r.out());
        }
    }

    @Test
    void validateTextNamesEachRuntime() {
        Path f = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Cli.Result r = Cli.validate(f.toString());
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("llama.cpp: will not load: \"wrong number of tensors; expected 55, got 49\""), r.out());
        assertTrue(r.out().contains("6 extra: attn_k_b, attn_v_b in 3 layers"), r.out());
        assertTrue(r.out().contains("ik_llama.cpp: loads (55 tensors, ik layout)"), r.out());
        assertFalse(r.out().contains("Exception"), r.out());
    }

    @Test
    void missingFileIsUnreadable() {
        Cli.Result r = Cli.validate("/nonexistent/model.gguf");
        assertEquals(2, r.exit());
        assertTrue(r.out().contains("/nonexistent/model.gguf: unreadable: no such file"), r.out());
        Cli.Result i = Cli.inspect("/nonexistent/model.gguf");
        assertEquals(2, i.exit());
        assertEquals(1, i.err().strip().lines().count(), i.err());
        assertTrue(i.err().contains("no such file"), i.err());
    }

    @Test
    void severalFilesExitWithTheWorst(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path good = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(good), 4000));
        Cli.Result r = Cli.validate(good.toString(), cut.toString());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains(good + ": valid"), r.out());
        assertTrue(r.out().contains(cut + ": invalid: "), r.out());
        assertEquals(2, Cli.validate(good.toString(), cut.toString(), dir.resolve("none.gguf").toString()).exit());
        assertEquals(2, Cli.validate(dir.toString()).exit(), "a folder is unreadable");
    }

    @Test
    void fileTypeIsNamedInBothTables() {
        String out = Cli.inspect(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q4_K_R4.gguf").toString()).out();
        assertTrue(out.contains("214  (llama.cpp: unknown, ik_llama.cpp: MOSTLY_Q4_K_R4)"), out);
    }

    @Test
    void badUsageExitsTwo() {
        assertEquals(2, Cli.validate().exit());
        assertEquals(2, Cli.validate("--no-such-option", "x.gguf").exit());
        assertEquals(2, Cli.inspect().exit());
    }
}
