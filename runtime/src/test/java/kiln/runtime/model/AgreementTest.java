package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The 16-bit fixture files on the fixture prompt: final-position logits and 32 greedy tokens.
 * With f32 numerics Kiln is compared with HF transformers fp32 (the reference with the file's expert routing);
 * with the numerics of the tool that made the file (auto) it is compared with that tool's own logits dump.
 */
class AgreementTest {
    /** f32 activations and attention against HF fp32 (observed ≤ 0.0004). */
    static final double HF_TOLERANCE = 0.001;

    static Model load(String gguf, int mla, String cache, String numerics) {
        ModelOptions opt = ModelOptions.defaults().withCtx(256).withThreads(2).withMla(mla).withCache(cache, cache).withNumerics(numerics);
        return ModelLoader.load(Fixtures.file(gguf), opt);
    }

    static void check(String gguf, String reference, double tolerance, int mla, String cache, String numerics) {
        Fixtures.require();
        Reference ref = Reference.read(reference);
        try (Model m = load(gguf, mla, cache, numerics)) {
            int[] ids = m.tokenizer().encode(Reference.text(gguf.substring(0, gguf.indexOf('/')) + "/text/prompt.txt"), true);
            assertArrayEquals(ref.promptIds(), ids, "prompt tokens");
            float[] logits = Greedy.promptLogits(m, ids);
            double d = Reference.maxLogprobDiff(logits, ref.lastLogits());
            System.out.printf("%s -mla %d cache %s numerics %s vs %s: max |dlogprob| %.5f%n", gguf, mla, cache, m.numerics(), reference, d);
            assertTrue(d < tolerance, "max |Δ logprob| " + d + " ≥ " + tolerance);
            assertArrayEquals(ref.greedy(), Greedy.continueGreedy(m, ids, logits, ref.greedy().length), "greedy tokens");
        }
    }

    @Test
    void llamaBf16MatchesHf() {
        check("tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/results/logits/hf-fp32.json", HF_TOLERANCE, 0, "f16", "f32");
    }

    @Test
    void deepseekMainlineBf16MatchesHfWithGroups() {
        check("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/hf-fp32.json", HF_TOLERANCE, 3, "f16", "f32");
    }

    @Test
    void deepseekIkBf16MatchesHfWithoutGroups() {
        check("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/hf-fp32-n_group1-topk_group1.json", HF_TOLERANCE, 3, "f16", "f32");
    }

    @Test
    void fp8ConvertedFilesMatchHf() {
        check("tiny-deepseek-fp8/mainline/tiny-deepseek-fp8-bf16.gguf", "tiny-deepseek-fp8/results/logits/hf-fp32.json", HF_TOLERANCE, 3, "f16", "f32");
        check("tiny-deepseek-fp8/ik/tiny-deepseek-fp8-dequant-bf16.gguf", "tiny-deepseek-fp8/results/logits/hf-fp32-n_group1-topk_group1.json", HF_TOLERANCE, 0, "f16", "f32");
    }

    @Test
    void mainlineNumericsReproduceLlamaCpp() {
        // ggml's bf16 activation rounding, AVX-512 summation orders, v_expf and f16 flash attention: the dumped
        // logits (6 decimals) are reproduced to their printed precision (observed max |Δ logit| 1.9e-6)
        check("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/mainline-bf16.json", 1e-5, 3, "f16", "auto");
        check("tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/results/logits/mainline-bf16.json", 1e-5, 3, "f16", "auto");
    }

    @Test
    void ikFileAgainstIkLlamaCpp() {
        // ik numerics: its GEMM order, bf16 activations, glibc expf, ik's routing arithmetic and the generic f16 flash
        // attention over the [rope | latent] cache: reproduced to the dump's printed precision (observed 1.0e-6)
        check("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/ik-bf16.json", 1e-5, 3, "f16", "auto");
    }
}
