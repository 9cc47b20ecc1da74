package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DeepSeek layer's experts in two parallel steps ({@code DeepseekModel.expertsTogether}, Kiln's numerics) give
 * the logits the expert-by-expert loop gives, bit for bit. An observer that records nothing forces the loop (observed
 * products run one at a time), so the same model computes both. Scalar kernels: the Vector API's lane reductions
 * may sum in another order before the JIT compiles them, which would blur a bitwise comparison.
 */
class ExpertsTogetherTest {
    @Test
    void expertsTogetherGiveTheLogitsOfTheExpertLoop() {
        Fixtures.require();
        for (String file : new String[] {"tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "tiny-deepseek/ik/tiny-deepseek-Q4_K_M.gguf"}) {
            ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(2).withNumerics("fast");
            try (Model m = ModelLoader.load(Fixtures.file(file), opt, new kiln.runtime.kernel.ScalarKernels())) {
                assertTrue(m.backend().fusesProducts(), "Kiln's numerics fuse the experts by default");
                int[] ids = m.tokenizer().encode("First Citizen:\nBefore we proceed", true);
                float[] fused = new float[m.nVocab()], loop = new float[m.nVocab()];
                for (int p = 0; p < ids.length; p++) m.evaluate(ids, p, 1, p, fused, false);  // generation: one token a step
                m.setMatmulObserver((w, x, xOff, xStride, nTok) -> { });
                for (int p = 0; p < ids.length; p++) m.evaluate(ids, p, 1, p, loop, false);
                m.setMatmulObserver(null);
                assertArrayEquals(loop, fused, file);
            }
        }
    }

    /**
     * A prompt batch whose (expert, token) slots overflow the micro-batch (n·nUsed > ubatch: 12 tokens × 2 experts
     * in a micro-batch of 12, then of 16) runs the experts in several passes of at most ubatch slots; every expert of
     * every pass, and the shared one, must land in its slots, so the logits of every token are those of the loop.
     * The fused model runs first on a fresh load, so no slot the loop filled can stand in for one a pass skipped.
     */
    @Test
    void promptBatchesLargerThanTheSlotsRunInPassesWithTheLogitsOfTheExpertLoop() {
        Fixtures.require();
        for (String file : new String[] {"tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/ik/tiny-deepseek-Q4_K_M.gguf"}) {
            for (int ubatch : new int[] {12, 16}) {
                ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(2).withNumerics("fast").withUbatch(ubatch);
                try (Model m = ModelLoader.load(Fixtures.file(file), opt, new kiln.runtime.kernel.ScalarKernels())) {
                    assertTrue(m.backend().fusesProducts(), "Kiln's numerics fuse the experts by default");
                    int[] ids = m.tokenizer().encode("First Citizen:\nBefore we proceed any further, hear me speak.", true);
                    int n = Math.min(ids.length, ubatch);
                    assertTrue(n * 2 > ubatch, "the batch's slots overflow the micro-batch");
                    float[] fused = new float[n * m.nVocab()], loop = new float[n * m.nVocab()];
                    m.evaluate(ids, 0, n, 0, fused, true);
                    m.setMatmulObserver((w, x, xOff, xStride, nTok) -> { });
                    m.evaluate(ids, 0, n, 0, loop, true);
                    m.setMatmulObserver(null);
                    assertArrayEquals(loop, fused, file + " ubatch " + ubatch);
                }
            }
        }
    }
}
