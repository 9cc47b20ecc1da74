package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The matmul observer (for the imatrix collector) sees every product once per evaluation, experts with their routed tokens. */
class ObserverTest {
    @Test
    void observerSeesDenseAndExpertProducts() {
        Fixtures.require();
        ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(2).withNumerics("f32");
        try (Model m = ModelLoader.load(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), opt)) {
            Map<String, Integer> tokens = new HashMap<>();
            m.setMatmulObserver((w, x, xOff, xStride, nTok) -> tokens.merge(w.name() + (w.slice() >= 0 && w.name().contains("exps") ? "#" : ""), nTok, Integer::sum));
            int[] ids = m.tokenizer().encode("First Citizen:\nBefore we proceed", true);
            m.evaluate(ids, 0, ids.length, 0, new float[m.nVocab()], false);
            int n = ids.length;
            assertEquals(n, tokens.get("blk.0.ffn_up.weight"));
            assertEquals(n, tokens.get("blk.1.ffn_gate_inp.weight"));
            assertEquals(2 * n, tokens.get("blk.1.ffn_up_exps.weight#"), "top-2: each token reaches two experts");
            assertEquals(1, tokens.get("output.weight"), "only the last position's logits were asked for");
            m.setMatmulObserver(null);
        }
    }
}
