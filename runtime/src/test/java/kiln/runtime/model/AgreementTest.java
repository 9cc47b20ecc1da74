package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Final-position logits and 32 greedy tokens of the fixture prompt against the references: HF fp32 for the
 * 16-bit files (the reference with the same expert-group routing as the file), in a 256-token context.
 */
class AgreementTest {
    static final double LOGPROB_TOLERANCE = 0.01;

    static void check(String gguf, String reference, int mla, String cache) {
        Fixtures.require();
        Reference ref = Reference.read(reference);
        ModelOptions opt = ModelOptions.defaults().withCtx(256).withThreads(2).withMla(mla).withCache(cache, cache);
        try (Model m = ModelLoader.load(Fixtures.file(gguf), opt)) {
            int[] ids = m.tokenizer().encode(Reference.text(gguf.substring(0, gguf.indexOf('/')) + "/text/prompt.txt"), true);
            assertArrayEquals(ref.promptIds(), ids, "prompt tokens");
            float[] logits = Greedy.promptLogits(m, ids);
            double d = Reference.maxLogprobDiff(logits, ref.lastLogits());
            System.out.printf("%s -mla %d cache %s vs %s: max |dlogprob| %.5f%n", gguf, mla, cache, reference, d);
            assertTrue(d < LOGPROB_TOLERANCE, "max |Δ logprob| " + d);
            assertArrayEquals(ref.greedy(), Greedy.continueGreedy(m, ids, logits, ref.greedy().length), "greedy tokens");
        }
    }

    @Test
    void llamaBf16MatchesHf() {
        check("tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/results/logits/hf-fp32.json", 0, "f16");
    }

    @Test
    void deepseekMainlineBf16MatchesHfWithGroups() {
        check("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/hf-fp32.json", 3, "f16");
    }

    @Test
    void deepseekIkBf16MatchesHfWithoutGroups() {
        check("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/results/logits/hf-fp32-n_group1-topk_group1.json", 3, "f16");
    }
}
