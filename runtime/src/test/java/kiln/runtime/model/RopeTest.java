package kiln.runtime.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Kiln's rope (ggml's formulation) against HF DeepseekV3YarnRotaryEmbedding's, written from the HF code's
 * definitions: inv_freq = freq_inter·(1−mask) + freq_extra·mask with mask = 1 − linear_ramp(low, high), and
 * cos/sin magnitudes 1 when mscale = mscale_all_dim (DeepSeek-V3's configuration).
 */
class RopeTest {

    @Test
    void yarnMatchesHfDeepseekV3() {
        int dim = 64, ctx = 512, orig = 4096;
        float base = 10000f, factor = 40f;
        // DeepSeek: ggml's rope magnitude correction is cancelled by the attn_factor Kiln passes
        float attnFactor = 1.0f / (1.0f + 0.1f * (float) Math.log(factor));
        Rope rope = new Rope(dim, ctx, base, 1 / factor, 1.0f, attnFactor, orig, 32f, 1f, null, false);
        double low = Math.max(0, Math.floor(corrDim(32, dim, base, orig)));
        double high = Math.min(dim - 1, Math.ceil(corrDim(1, dim, base, orig)));
        for (int pos : new int[] {0, 1, 7, 300, 511}) {
            float[] x = new float[dim];
            for (int i = 0; i < dim; i++) x[i] = (float) Math.sin(0.37 * i + 1);
            float[] y = x.clone();
            rope.apply(y, 0, pos);
            for (int i = 0; i < dim / 2; i++) {
                double extra = 1.0 / Math.pow(base, 2.0 * i / dim), inter = extra / factor;
                double ramp = Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
                double mask = 1 - ramp;
                double theta = pos * (inter * (1 - mask) + extra * mask);
                double c = Math.cos(theta), s = Math.sin(theta);
                // pairs are adjacent in the GGUF (the converter undid HF's de-interleave)
                assertEquals(x[2 * i] * c - x[2 * i + 1] * s, y[2 * i], 2e-4, "pos " + pos + " pair " + i);
                assertEquals(x[2 * i] * s + x[2 * i + 1] * c, y[2 * i + 1], 2e-4, "pos " + pos + " pair " + i);
            }
        }
    }

    @Test
    void noScalingIsPlainRope() {
        Rope rope = new Rope(8, 16, 10000f, 1f, 0f, 1f, 2048, 32f, 1f, null, false);
        float[] y = {1, 0, 1, 0, 1, 0, 1, 0};
        rope.apply(y, 0, 3);
        assertEquals(Math.cos(3), y[0], 1e-6);
        assertEquals(Math.sin(3), y[1], 1e-6);
        assertEquals(Math.cos(3 / Math.pow(10000, 2.0 / 8)), y[2], 1e-5);
    }

    static double corrDim(double nRot, int dim, double base, int orig) {
        return dim * Math.log(orig / (nRot * 2 * Math.PI)) / (2 * Math.log(base));
    }
}
