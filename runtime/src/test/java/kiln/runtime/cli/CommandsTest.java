package kiln.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `kiln run` and `kiln perplexity` end to end, as a user calls them. */
class CommandsTest {
    @TempDir
    Path tmp;

    record Outcome(int code, String out, String err) {}

    static Outcome call(Object cmd, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = CliSupport.run(cmd, args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void runJsonGreedyEqualsLlamaCpp() throws Exception {
        Path root = Fixtures.require();
        String prompt = Files.readString(root.resolve("tiny-deepseek/text/prompt.txt"));
        Outcome o = call(new RunCommand(), "-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(),
                "-p", prompt, "-n", "32", "--temp", "0", "-t", "2", "-c", "128", "--ignore-eos", "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        JsonNode ref = new ObjectMapper().readTree(root.resolve("tiny-deepseek/results/logits/mainline-bf16.json").toFile());
        assertEquals(ref.get("token_ids"), j.get("prompt_token_ids"));
        assertEquals(ref.get("greedy_new_token_ids"), j.get("generated_token_ids"));
        assertEquals(ref.get("greedy_text").asText(), j.get("text").asText());
        assertTrue(j.get("timings").get("generation_tokens_per_second").asDouble() > 0);
    }

    /**
     * The load lines give the KV cache and the bound on the decompressed K/V as the hyperparameters (the fixture's
     * config.json, not Kiln's reading of the file) make them: the latent cache n_layer × n_ctx × (kv_lora_rank +
     * rope) × 2 bytes; a decompressed layer n_ctx × heads × (nope + rope + v) × 2 bytes, and -amb's MiB bound.
     */
    @Test
    void loadLinesGiveTheKvCacheAndTheAmbBound() throws Exception {
        Path root = Fixtures.require();
        JsonNode hp = new ObjectMapper().readTree(root.resolve("tiny-deepseek/hf/config.json").toFile());
        int layers = hp.get("num_hidden_layers").asInt(), heads = hp.get("num_attention_heads").asInt(), ctx = 2048;
        int rope = hp.get("qk_rope_head_dim").asInt(), nope = hp.get("qk_nope_head_dim").asInt();
        double latent = (double) layers * ctx * (hp.get("kv_lora_rank").asInt() + rope) * 2 / 1048576;
        double perLayer = (double) ctx * heads * (nope + rope + hp.get("v_head_dim").asInt()) * 2 / 1048576;
        int amb = (int) Math.ceil(2 * perLayer); // two layers' worth: one kept beside the shared store
        String model = root.resolve("tiny-deepseek/ik/tiny-deepseek-bf16.gguf").toString(); // with attn_kv_b
        Outcome o = call(new RunCommand(), "-m", model, "-p", "Hello", "-n", "1", "--temp", "0", "-t", "2", "-c", "" + ctx, "-amb", "" + amb);
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains(String.format(java.util.Locale.ROOT, "kiln run: KV self size = %.2f MiB, c^KV (f16): %.2f MiB, kv^T: not used; ",
                latent, latent)), o.err());
        assertTrue(o.err().contains(String.format(java.util.Locale.ROOT, "decompressed K/V (f16) kept for 1 of %d layers (%.2f MiB each at n_ctx),"
                + " bound %.2f MiB (-amb %d)", layers, perLayer, (double) amb, amb)), o.err());
        assertFalse(o.err().contains("-amb accepted"), "-amb is not an ignored flag any more: " + o.err());
        o = call(new RunCommand(), "-m", model, "-p", "Hello", "-n", "1", "--temp", "0", "-t", "2", "-c", "" + ctx);
        assertTrue(o.err().contains(String.format(java.util.Locale.ROOT, "decompressed K/V (f16) kept for %d of %d layers", layers, layers))
                && o.err().contains("(default: min(2 GiB, heap/4))"), o.err());
        o = call(new RunCommand(), "-m", model, "-p", "Hello", "-n", "1", "--temp", "0", "-t", "2", "-c", "" + ctx, "-mla", "1");
        assertTrue(o.err().contains("kv^T: not used") && !o.err().contains("decompressed K/V"), "-mla 1 never decompresses: " + o.err());
        // a plain cache: n_layer × n_ctx × kv_heads × head_dim × 2 bytes each side
        JsonNode lp = new ObjectMapper().readTree(root.resolve("tiny-llama/hf/config.json").toFile());
        double side = (double) lp.get("num_hidden_layers").asInt() * 64 * lp.get("num_key_value_heads").asInt() * lp.get("head_dim").asInt() * 2 / 1048576;
        o = call(new RunCommand(), "-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(), "-p", "Hi", "-n", "1", "-t", "2", "-c", "64");
        assertTrue(o.err().contains(String.format(java.util.Locale.ROOT, "KV self size = %.2f MiB, K (f16): %.2f MiB, V (f16): %.2f MiB",
                2 * side, side, side)), o.err());
    }

    @Test
    void runStreamsTextThenTimings() throws Exception {
        Path root = Fixtures.require();
        Outcome o = call(new RunCommand(), "-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                "-p", "First Citizen:\n", "-n", "8", "--temp", "0", "-t", "2", "-c", "64", "-ctk", "q8_0", "-ctv", "q8_0");
        assertEquals(0, o.code(), o.err());
        assertFalse(o.out().isBlank());
        assertTrue(o.err().contains("prompt eval time"), o.err());
        assertTrue(o.err().contains("tokens per second"), o.err());
        // fast numerics unless asked, and the KV cache's size at load as llama.cpp prints it (64 cells × 2 sides)
        assertTrue(o.err().contains("numerics fast"), o.err());
        assertTrue(o.err().matches("(?s).*KV self size = [0-9.]+ MiB, K \\(q8_0\\): [0-9.]+ MiB, V \\(q8_0\\): [0-9.]+ MiB.*"), o.err());
    }

    @Test
    void referenceNumericsOnRequest() throws Exception {
        Path root = Fixtures.require();
        Outcome o = call(new RunCommand(), "-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                "-p", "First Citizen:\n", "-n", "4", "--temp", "0", "-t", "2", "-c", "64", "--numerics", "auto");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("numerics mainline"), o.err());
    }

    @Test
    void promptLongerThanContextExits2() throws Exception {
        Path root = Fixtures.require();
        Outcome o = call(new RunCommand(), "-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                "-f", root.resolve("tiny-llama/text/prompt.txt").toString(), "-n", "4", "-c", "16");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("35 tokens long but the context is 16"), o.err());
    }

    @Test
    void perplexityJsonAndKlDivergenceAgainstItself() throws Exception {
        Path root = Fixtures.require();
        String model = root.resolve("tiny-deepseek/ik/tiny-deepseek-bf16.gguf").toString();
        Path base = tmp.resolve("base.kld");
        Outcome o = call(new PerplexityCommand(), "-m", model, "-f", root.resolve("tiny-deepseek/text/eval.txt").toString(),
                "-c", "128", "--chunks", "4", "-t", "2", "--json", "--kl-divergence-base", base.toString());
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertEquals(4, j.get("chunks").asInt());
        assertEquals(128, j.get("n_ctx").asInt());
        assertTrue(j.get("ppl").asDouble() > 1 && j.get("ppl_stderr").asDouble() > 0);
        // header + tokens + 4 chunks × 63 positions × (1024 + 4) uint16
        assertEquals(8 + 12 + 4L * 4 * 128 + 4L * 63 * (1024 + 4) * 2, Files.size(base));
        Outcome k = call(new PerplexityCommand(), "-m", model, "-c", "128", "-t", "2", "--json",
                "--kl-divergence-base", base.toString(), "--kl-divergence");
        assertEquals(0, k.code(), k.err());
        JsonNode kj = new ObjectMapper().readTree(k.out());
        assertEquals(j.get("ppl").asDouble(), kj.get("ppl").asDouble(), 1e-6 * j.get("ppl").asDouble()); // same logits up to SIMD summation order
        assertTrue(kj.get("mean_kld").asDouble() < 1e-4, "KLD of a model against itself: " + kj.get("mean_kld"));
        assertEquals(1.0, kj.get("same_top_p").asDouble());
        assertEquals(j.get("ppl").asDouble(), kj.get("ppl_base").asDouble(), 0.01 * j.get("ppl").asDouble());
    }

    @Test
    void unknownCacheTypeExits2() throws Exception {
        Path root = Fixtures.require();
        Outcome o = call(new RunCommand(), "-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                "-p", "x", "-n", "1", "-ctk", "q4_1");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("cache type 'q4_1' is not supported"), o.err());
    }
}
