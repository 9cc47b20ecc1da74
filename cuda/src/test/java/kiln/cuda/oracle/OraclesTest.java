package kiln.cuda.oracle;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The scalar oracles the GPU kernels will be checked against, each checked here on values worked out by hand. */
class OraclesTest {
    @Test
    void q8_0MatvecOfAHandMadeBlock() {
        MemorySegment w = MemorySegment.ofArray(new byte[34]);
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Fp16.floatToHalf(0.5f));
        for (int i = 0; i < 32; i++) w.set(ValueLayout.JAVA_BYTE, 2 + i, (byte) (i + 1));
        float[] x = new float[64];
        java.util.Arrays.fill(x, 0, 32, 1f);
        java.util.Arrays.fill(x, 32, 64, 2f);
        float[] out = QuantMatvecOracle.matvec(GgmlType.Q8_0, w, 1, 32, x, 2);
        assertArrayEquals(new float[] {264f, 528f}, out); // 0.5 · (1 + … + 32) = 264, twice that for x = 2
    }

    @Test
    void kQuantMatvecIsCloseToTheUnquantizedProduct() {
        Random rnd = new Random(7);
        int rows = 3, cols = 512;
        float[] v = new float[rows * cols], x = new float[cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.IQ4_XS}) {
            long rb = t.rowSize(cols);
            MemorySegment w = MemorySegment.ofArray(new byte[(int) (rb * rows)]);
            for (int r = 0; r < rows; r++) Codecs.find(t).quantize(v, r * cols, w, r * rb, cols, null);
            float[] got = QuantMatvecOracle.matvec(t, w, rows, cols, x, 1);
            for (int r = 0; r < rows; r++) {
                double exact = 0, norm = 0;
                for (int c = 0; c < cols; c++) {
                    exact += (double) v[r * cols + c] * x[c];
                    norm += Math.abs(v[r * cols + c] * x[c]);
                }
                double tol = (t == GgmlType.Q4_K || t == GgmlType.IQ4_XS ? 0.05 : 0.02) * norm;
                assertEquals(exact, got[r], tol, t + " row " + r);
                assertNotEquals(0f, got[r]);
            }
        }
    }

    @Test
    void rmsNorm() {
        float[] out = RmsNormOracle.apply(new float[] {3, 4, 0, 0}, new float[] {1, 2, 1, 1}, 2, 2, 1e-6f);
        float s = (float) Math.sqrt(12.5); // mean(9, 16) = 12.5
        assertArrayEquals(new float[] {3 / s, 8 / s, 0, 0}, out, 1e-6f);
    }

    @Test
    void plainRopeRotatesPairsByPositionTimesFrequency() {
        float[] x = {1, 0, 1, 0, 1, 0, 1, 0};
        RopeOracle.apply(x, new int[] {0, 3}, 2, 1, 4, 4, RopeParams.plain(10000f));
        assertArrayEquals(new float[] {1, 0, 1, 0}, java.util.Arrays.copyOf(x, 4), 1e-7f, "position 0 is the identity");
        // pair 0: θ = 3; pair 1: θ = 3 · 10000^(−2/4) = 0.03
        assertEquals(Math.cos(3), x[4], 1e-6);
        assertEquals(Math.sin(3), x[5], 1e-6);
        assertEquals(Math.cos(0.03), x[6], 1e-6);
        assertEquals(Math.sin(0.03), x[7], 1e-6);
    }

    @Test
    void yarnExtrapolatesFastPairsInterpolatesSlowOnesAndScales() {
        RopeParams p = RopeParams.yarn(10000f, 40f, 1f, 64, 4096, 32f, 1f);
        assertTrue(p.corrLow() > 0 && p.corrHigh() < 63 && p.corrLow() < p.corrHigh(), p.toString());
        float mscale = 1 + 0.1f * (float) Math.log(40);
        float pos = 100;
        float[] fast = RopeOracle.yarn(pos, p, 0); // i0 / 2 = 0 < low: ramp 1, θ = extrapolated
        assertEquals(Math.cos(pos) * mscale, fast[0], 1e-4);
        int slowI0 = 62; // i0 / 2 = 31 > high: ramp 0, θ = interpolated (θ / 40)
        float thetaSlow = pos * (float) Math.pow(10000, -slowI0 / 64.0);
        float[] slow = RopeOracle.yarn(thetaSlow, p, slowI0);
        assertEquals(Math.sin(thetaSlow / 40) * mscale, slow[1], 1e-5);
        // ggml_rope_yarn_corr_dims for these values: floor(64·ln(4096/(32·2π))/(2 ln 10000)) = 10, ceil(…β=1…) = 23 (10.47 and 22.51)
        assertEquals(10f, p.corrLow());
        assertEquals(23f, p.corrHigh());
    }

    @Test
    void softmaxAndSwiglu() {
        float[] x = {0, (float) Math.log(3), 5, 5};
        SoftmaxOracle.apply(x, 2, 2, 1f);
        assertArrayEquals(new float[] {0.25f, 0.75f, 0.5f, 0.5f}, x, 1e-6f);
        float[] y = {1, 2};
        SoftmaxOracle.apply(y, 1, 2, 0f);
        assertArrayEquals(new float[] {0.5f, 0.5f}, y, 1e-7f, "scale 0: uniform");
        assertArrayEquals(new float[] {0f, (float) (2 / (1 + Math.exp(-2)) * 3)}, SwigluOracle.apply(new float[] {0, 2}, new float[] {5, 3}), 1e-6f);
    }

    @Test
    void attentionAveragesValuesByScoreAndSharesKvHeads() {
        int hd = 2;
        short one = Fp16.floatToHalf(1f), zero = Fp16.floatToHalf(0f), two = Fp16.floatToHalf(2f);
        // one kv head, two rows: k0 = (1, 0), k1 = (0, 1); v0 = (2, 0), v1 = (0, 2)
        short[] k = {one, zero, zero, one}, v = {two, zero, zero, two};
        float[] q = {(float) Math.log(3), 0, 0, 0}; // head 0 prefers row 0 3:1; head 1 sees equal scores
        float[] out = AttentionOracle.apply(q, AttentionOracle.fromF16(k), AttentionOracle.fromF16(v), 2, 2, 1, hd, 1f);
        assertArrayEquals(new float[] {1.5f, 0.5f, 1f, 1f}, out, 1e-6f);
    }

    @Test
    void softmaxRoutingPicksTheLargestAndNormalizes() {
        float[] logits = {0, (float) Math.log(3), (float) Math.log(2), 0}; // probabilities 1/7, 3/7, 2/7, 1/7
        RouterOracle.Routed r = RouterOracle.route(logits, 1, null, new RouteParams(4, 2, 1, 1, false, true, 2f));
        assertArrayEquals(new int[] {1, 2}, r.ids());
        assertArrayEquals(new float[] {1.2f, 0.8f}, r.weights(), 1e-6f); // 3/5, 2/5, times 2
        r = RouterOracle.route(logits, 1, null, new RouteParams(4, 2, 1, 1, false, false, 1f));
        assertArrayEquals(new float[] {3 / 7f, 2 / 7f}, r.weights(), 1e-6f);
    }

    @Test
    void theBiasSelectsGroupsAndExpertsButNotWeights() {
        // sigmoid probabilities ≈ 0.5, 0.5, 0.953, 0.731: group 1 (experts 2, 3) scores 1.68 against group 0's 1.0,
        // but the bias lifts group 0 to 2.0
        float[] logits = {0, 0, 3, 1}, bias = {0.5f, 0.5f, 0, 0};
        RouterOracle.Routed r = RouterOracle.route(logits, 1, bias, new RouteParams(4, 2, 2, 1, true, false, 1f));
        assertArrayEquals(new int[] {0, 1}, r.ids(), "only group 0 is eligible; the tie goes to the lower index");
        assertArrayEquals(new float[] {0.5f, 0.5f}, r.weights(), 1e-6f, "weights are the probabilities, without the bias");
        r = RouterOracle.route(logits, 1, null, new RouteParams(4, 2, 2, 1, true, false, 1f));
        assertArrayEquals(new int[] {2, 3}, r.ids(), "without the bias group 1 wins");
    }

    @Test
    void aQ8_0CacheHoldsScaleTimesQuants() {
        byte[] block = new byte[34];
        MemorySegment.ofArray(block).set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Fp16.floatToHalf(0.25f));
        block[2] = 4;
        block[33] = -8;
        float[] v = AttentionOracle.fromQ8_0(block, 32);
        assertEquals(1f, v[0]);
        assertEquals(-2f, v[31]);
        assertEquals(0f, v[5]);
    }

    @Test
    void mlaLatentAttentionReadsValuesFromTheLatentPartOfTheCacheRows() {
        // rows of 3 = [latent a, latent b | rope r]; values are the two latent numbers of each row
        short h0 = Fp16.floatToHalf(0f), h1 = Fp16.floatToHalf(1f), h4 = Fp16.floatToHalf(4f), h8 = Fp16.floatToHalf(8f);
        short[] cache = {h4, h0, h0, h0, h8, h1};
        float[] q = {0, 0, (float) Math.log(3)}; // one head, scores from the rope part only: row 1 is 3× as likely
        float[] c = AttentionOracle.fromF16(cache);
        float[] out = AttentionOracle.apply(q, c, c, 2, 1, 1, 3, 2, 3, 1f);
        assertArrayEquals(new float[] {0.25f * 4, 0.75f * 8}, out, 1e-6f);
    }
}
