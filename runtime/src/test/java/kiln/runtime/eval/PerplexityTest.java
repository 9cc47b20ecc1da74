package kiln.runtime.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Perplexity of each 16-bit fixture file on text/eval.txt with -c 128, against llama-perplexity's recorded value. */
class PerplexityTest {

    static PerplexityResult ppl(String model, String gguf, int mla) throws Exception {
        return ppl(model, gguf, mla, "auto");
    }

    static PerplexityResult ppl(String model, String gguf, int mla, String numerics) throws Exception {
        Path root = Fixtures.require();
        String text = Files.readString(root.resolve(model + "/text/eval.txt"));
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        ModelOptions opt = ModelOptions.defaults().withCtx(128).withThreads(2).withMla(mla).withNumerics(numerics);
        try (Model m = ModelLoader.load(root.resolve(model + "/" + gguf), opt)) {
            return Perplexity.run(m, text, -1, null, null);
        }
    }

    static double reference(String model, String key) throws Exception {
        return new ObjectMapper().readTree(Fixtures.file(model + "/results/ppl.json").toFile()).get(key).get("ppl").asDouble();
    }

    /** Within 0.5 %, and within {@code tight} relative where the tool's arithmetic is reproduced. */
    static void check(String model, String gguf, String key, int mla, double tight) throws Exception {
        PerplexityResult r = ppl(model, gguf, mla);
        double ref = reference(model, key);
        double rel = Math.abs(r.ppl() - ref) / ref;
        System.out.printf("%s/%s: PPL %.4f ± %.4f vs llama-perplexity %.4f (%.3f %%), %d chunks, %.1f s%n",
                model, gguf, r.ppl(), r.pplStderr(), ref, 100 * rel, r.chunks(), r.seconds());
        assertEquals(64, r.chunks());
        assertEquals(4032, r.scored());
        assertTrue(rel < 0.005, "relative difference " + rel);
        assertTrue(rel < tight, "relative difference " + rel + " ≥ " + tight);
    }

    /**
     * The fast numerics (the default of `kiln perplexity`) against llama-perplexity, on 16-bit files and on ik's
     * interleaved files, whose rows the in-place _R4/_R8 kernels multiply. Measured: 0.003 % (llama bf16),
     * 0.048 % / 0.014 % (deepseek mainline / ik bf16), 0.094 % / 0.009 % / 0.044 % (Q4_K_R4 / Q6_K_R4 / Q8_0_R8).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
            "tiny-llama, mainline/tiny-llama-bf16.gguf, mainline/bf16",
            "tiny-deepseek, mainline/tiny-deepseek-bf16.gguf, mainline/bf16",
            "tiny-deepseek, ik/tiny-deepseek-bf16.gguf, ik/bf16",
            "tiny-deepseek, ik/tiny-deepseek-Q4_K_R4.gguf, ik/Q4_K_R4",
            "tiny-deepseek, ik/tiny-deepseek-Q6_K_R4.gguf, ik/Q6_K_R4",
            "tiny-deepseek, ik/tiny-deepseek-Q8_0_R8.gguf, ik/Q8_0_R8"})
    void fastNumericsWithinTwoTenthsOfAPercent(String model, String gguf, String key) throws Exception {
        PerplexityResult r = ppl(model, gguf, 3, "fast");
        double ref = reference(model, key), rel = Math.abs(r.ppl() - ref) / ref;
        System.out.printf("fast %s/%s: PPL %.4f vs llama-perplexity %.4f (%.3f %%)%n", model, gguf, r.ppl(), ref, 100 * rel);
        assertEquals(64, r.chunks());
        assertTrue(rel < 0.002, "relative difference " + rel);
    }

    @Test
    void llamaBf16() throws Exception {
        check("tiny-llama", "mainline/tiny-llama-bf16.gguf", "mainline/bf16", 3, 1e-4); // measured 2.3e-5
    }

    @Test
    void deepseekMainlineBf16() throws Exception {
        check("tiny-deepseek", "mainline/tiny-deepseek-bf16.gguf", "mainline/bf16", 3, 1e-4); // measured 2.6e-6
    }

    @Test
    void deepseekIkBf16() throws Exception {
        check("tiny-deepseek", "ik/tiny-deepseek-bf16.gguf", "ik/bf16", 3, 2e-6); // equal to the printed digits
    }

    @Test
    void deepseekFp8DequantIk() throws Exception {
        check("tiny-deepseek-fp8", "ik/tiny-deepseek-fp8-dequant-bf16.gguf", "ik/dequant-bf16", 3, 2e-6); // ik's defaults
    }

}
