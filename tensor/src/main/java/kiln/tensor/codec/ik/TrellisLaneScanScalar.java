package kiln.tensor.codec.ik;

import java.util.Arrays;

/** The scalar {@link TrellisLaneScan}: every score in order, then each lane's first minimum (the oracle). */
final class TrellisLaneScanScalar implements TrellisLaneScan {

    @Override
    public void laneMinima(int[] c, int npoint, int group, float[] sx, float[] w, int wl, float[] laneBest, int[] laneIndex) {
        Arrays.fill(laneBest, 0, 8, Float.POSITIVE_INFINITY);
        Arrays.fill(laneIndex, 0, 8, -1);
        for (int p = 0; p < npoint; p++) {
            float score = group == 8 ? score8(c, npoint, p, sx, w, wl) : score4(c, npoint, p, sx, w, wl);
            int lane = p & 7;
            if (score < laneBest[lane]) {
                laneBest[lane] = score;
                laneIndex[lane] = p;
            }
        }
    }

    /** One point's score, groups of 8: {@code hsum_float_8x8}'s order. */
    private static float score8(int[] c, int n, int p, float[] sx, float[] w, int wl) {
        float s0 = term(high(c[p]), sx[0], w[wl]), s1 = term(low(c[p]), sx[1], w[wl + 1]);
        float s2 = term(high(c[n + p]), sx[2], w[wl + 2]), s3 = term(low(c[n + p]), sx[3], w[wl + 3]);
        float s4 = term(high(c[2 * n + p]), sx[4], w[wl + 4]), s5 = term(low(c[2 * n + p]), sx[5], w[wl + 5]);
        float s6 = term(high(c[3 * n + p]), sx[6], w[wl + 6]), s7 = term(low(c[3 * n + p]), sx[7], w[wl + 7]);
        return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
    }

    /** One point's score, groups of 4: {@code hsum_float_4x8}'s order. */
    private static float score4(int[] c, int n, int p, float[] sx, float[] w, int wl) {
        float s0 = term(high(c[p]), sx[0], w[wl]), s1 = term(low(c[p]), sx[1], w[wl + 1]);
        float s2 = term(high(c[n + p]), sx[2], w[wl + 2]), s3 = term(low(c[n + p]), sx[3], w[wl + 3]);
        return (s0 + s2) + (s1 + s3);
    }

    /** {@code w·((q − x)²)}: three rounded float operations, as ik's {@code _mm256_mul_ps(vw, _mm256_mul_ps(d, d))}. */
    /** The value in the upper half of a column pair. */
    private static float high(int pair) {
        return Float.intBitsToFloat(pair & 0xffff0000);
    }

    /** The value in the lower half of a column pair. */
    private static float low(int pair) {
        return Float.intBitsToFloat(pair << 16);
    }

    private static float term(float q, float x, float w) {
        float d = q - x;
        return w * (d * d);
    }
}
