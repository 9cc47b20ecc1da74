package kiln.runtime.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Expert routing as HF DeepseekV3 / mainline llama.cpp define it, checked on hand-computed cases. */
class RouterTest {
    static float sig(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    @Test
    void sigmoidWithBiasSelectsByBiasedScoreButWeighsByUnbiasedProbability() {
        Router r = new Router(4, 2, 0, 0, Router.GATING_SIGMOID, false, 1.0f, false);
        float[] logits = {2.0f, 1.0f, 0.0f, -1.0f};
        float[] bias = {0f, 0f, 0.9f, 0f}; // expert 2: sig(0)+0.9 = 1.4 beats expert 0 (0.88)
        int[] ids = new int[2];
        float[] w = new float[2];
        r.route(logits, 0, bias, ids, w, 0);
        assertArrayEquals(new int[] {2, 0}, ids);
        assertEquals(sig(0f), w[0], 1e-7);
        assertEquals(sig(2f), w[1], 1e-7);
    }

    @Test
    void groupLimitedTopKKeepsOnlyTheBestGroups() {
        // 8 experts in 2 groups of 4; group 0 scores (top-2 sum) 0.9+0.1, group 1 0.6+0.6 → group 1 wins,
        // although expert 0 alone is the best expert
        float[] p = {0.9f, 0.1f, 0.05f, 0.05f, 0.6f, 0.6f, 0.2f, 0.1f};
        float[] logits = new float[8];
        for (int i = 0; i < 8; i++) logits[i] = (float) Math.log(p[i] / (1 - p[i])); // sigmoid⁻¹
        Router grouped = new Router(8, 2, 2, 1, Router.GATING_SIGMOID, true, 2.5f, false);
        int[] ids = new int[2];
        float[] w = new float[2];
        grouped.route(logits, 0, null, ids, w, 0);
        assertEquals(java.util.Set.of(4, 5), java.util.Set.of(ids[0], ids[1]));
        assertEquals(2.5f * 0.5f, w[0], 1e-5); // normalized then scaled
        assertEquals(2.5f * 0.5f, w[1], 1e-5);
        Router flat = new Router(8, 2, 0, 0, Router.GATING_SIGMOID, true, 2.5f, false);
        flat.route(logits, 0, null, ids, w, 0);
        assertEquals(0, ids[0]);
    }

    @Test
    void softmaxGatingWithoutNormalization() {
        Router r = new Router(3, 1, 0, 0, Router.GATING_SOFTMAX, false, 1.0f, false);
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(5)};
        int[] ids = new int[1];
        float[] w = new float[1];
        r.route(logits, 0, null, ids, w, 0);
        assertEquals(2, ids[0]);
        assertEquals(5.0f / 8.0f, w[0], 1e-6);
    }
}
