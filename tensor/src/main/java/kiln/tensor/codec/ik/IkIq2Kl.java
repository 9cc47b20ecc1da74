package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ2_KL (2.6875 bpw), an ik-only type with one fp16 scale per row: {@code quantize_iq2_kl} /
 * {@code quantize_row_iq2_kl_impl} and {@code dequantize_row_iq2_kl} ({@code iqk/iqk_quantize.cpp}). Pairs of values
 * take one of 32 grid points, pairs of IQ3_K levels (5 bits: qs low/high nibble + one qh bit); blocks of 32 with
 * 6-bit scales (scales_l nibbles + 2 bits each in scales_h). Block (86 bytes): scales_h (u16), scales_l[4], qs[64],
 * qh[16]. Off-grid pairs go to the nearest of their listed neighbours; each block scale tries its rounding ±1.
 */
final class IkIq2Kl extends IkBlockCodec {
    static final IkIq2Kl INSTANCE = new IkIq2Kl();

    private static final int ROW_D = 2, SCALES_H = 0, SCALES_L = 2, QS = 6, QH = 70, SIZE = 86, NTRY = 5;
    private static final IqkLevels LEVELS = IkIq3K.LEVELS;

    /** {@code k_index}: pair (l1, l2) of IQ3_K levels at 8·l1 + l2 → grid point, or −1 − (its neighbour list). */
    private static final int[] K_INDEX = {
        -1, -2, 0, -3, -4, 1, -5, -6, 2, -7, -8, 3, -9, 4, -10, 5,
        -11, 6, 7, -12, 8, 9, 10, -13, 11, -14, -15, -16, 12, 13, -17, 14,
        -18, -19, 15, 16, 17, 18, 19, -20, -21, 20, 21, 22, 23, 24, -22, -23,
        25, -24, 26, -25, 27, -26, 28, 29, -27, -28, 30, -29, -30, 31, -31, -32,
    };

    /** {@code k_neighbours}: the grid points tried, in order, for a pair off the grid. */
    private static final int[][] NEIGHBOURS = {
        {2, 0, 6, 11, 7, 3, 8, 15},
        {0, 2, 3, 6, 7, 1, 8, 4},
        {0, 1, 3, 4, 8, 7, 9, 6},
        {1, 0, 3, 4, 8, 9, 7, 10},
        {1, 4, 5, 10, 9, 3, 8, 0},
        {5, 1, 4, 10, 9, 14, 8, 3},
        {6, 2, 7, 0, 3, 11, 8, 15},
        {3, 7, 0, 6, 8, 4, 12, 9},
        {3, 4, 8, 9, 1, 7, 12, 10},
        {4, 10, 5, 9, 1, 8, 13, 14},
        {11, 2, 6, 7, 20, 15, 25, 21},
        {8, 7, 3, 12, 9, 16, 17, 13},
        {14, 5, 10, 19, 9, 13, 4, 18},
        {6, 15, 7, 11, 20, 21, 16, 2},
        {15, 7, 16, 6, 21, 12, 17, 22},
        {12, 16, 17, 8, 15, 7, 13, 22},
        {19, 10, 13, 18, 14, 9, 12, 24},
        {11, 20, 25, 6, 15, 2, 21, 7},
        {20, 15, 21, 6, 11, 7, 16, 26},
        {14, 19, 29, 10, 28, 18, 13, 24},
        {25, 11, 20, 21, 15, 6, 26, 30},
        {19, 24, 28, 18, 29, 23, 13, 17},
        {29, 19, 14, 28, 24, 18, 10, 13},
        {20, 26, 21, 25, 30, 15, 22, 16},
        {27, 26, 22, 23, 21, 30, 16, 24},
        {27, 24, 28, 31, 23, 18, 22, 17},
        {25, 30, 20, 26, 21, 11, 15, 22},
        {30, 26, 25, 20, 21, 27, 22, 15},
        {30, 27, 31, 26, 22, 23, 21, 24},
        {31, 27, 30, 26, 28, 23, 22, 24},
        {31, 28, 29, 27, 24, 23, 19, 18},
        {29, 28, 31, 24, 19, 27, 14, 18},
    };


    /** The grid points: (first, second) level values. */
    private static final float[] FIRST = new float[32], SECOND = new float[32];

    static {
        for (int j = 0; j < 64; ++j) {
            int i = K_INDEX[j];
            if (i >= 0) {
                FIRST[i] = LEVELS.value(0, j / 8);
                SECOND[i] = LEVELS.value(0, j % 8);
            }
        }
    }

    /** The grid points as bytes: point i's first level at 2i, its second at 2i + 1 (both IQ3_K plain levels). */
    static byte[] pairLevels() {
        byte[] plain = IqkTables.plain(GgmlType.IQ3_K), pairs = new byte[64];
        for (int j = 0; j < 64; ++j) {
            int i = K_INDEX[j];
            if (i >= 0) {
                pairs[2 * i] = plain[j / 8];
                pairs[2 * i + 1] = plain[j % 8];
            }
        }
        return pairs;
    }

    private IkIq2Kl() {
        super(GgmlType.IQ2_KL);
    }

    /** ik's {@code index} lambda: the grid point for the pair (x1, x2) scaled by id. */
    private static int index(float id, float x1, float x2, float w1, float w2) {
        float sx1 = id * x1, sx2 = id * x2;
        int i = K_INDEX[8 * LEVELS.bestIndex(0, sx1) + LEVELS.bestIndex(0, sx2)];
        if (i >= 0) return i;
        float best = Float.MAX_VALUE;
        int ibest = -1;
        for (int n : NEIGHBOURS[-i - 1]) {
            float diff1 = FIRST[n] - sx1, diff2 = SECOND[n] - sx2;
            float score = Math.fma(w1 * diff1, diff1, (w2 * diff2) * diff2);
            if (score < best) { best = score; ibest = n; }
        }
        return ibest;
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 32);
        int nbl = n / QK_K;
        float[] scales = new float[8 * nbl], weight = new float[32];
        float maxScale = 0, maxAbsScale = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K;
            float sigma2 = IqkSearch.sumSquares(x, xbl) * 0.0087890625f;
            for (int ib = 0; ib < 8; ++ib) {
                int xo = xbl + 32 * ib;
                weights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                float max = IqkSearch.signedMax(x, xo, 32);
                if (Math.abs(max) < 1e-16f) {
                    scales[8 * ibl + ib] = 0;
                    continue;
                }
                float d = -max / LEVELS.value(0, 0);
                float id = 1 / d;
                float[] s = sums(x, xo, weight, id);
                d = s[0] / s[1];
                float best = d * s[0];
                if (s[3] > 0 && s[2] * s[2] > best * s[3]) { d = s[2] / s[3]; best = d * s[2]; }
                for (int itry = -NTRY; itry <= NTRY; ++itry) {
                    id = (itry + LEVELS.value(0, 0)) / max;
                    s = sums(x, xo, weight, id);
                    if (s[1] > 0 && s[0] * s[0] > best * s[1]) { d = s[0] / s[1]; best = d * s[0]; }
                    if (s[3] > 0 && s[2] * s[2] > best * s[3]) { d = s[2] / s[3]; best = d * s[2]; }
                }
                scales[8 * ibl + ib] = d;
                if (Math.abs(d) > maxAbsScale) { maxAbsScale = Math.abs(d); maxScale = d; }
            }
        }
        if (maxAbsScale == 0) return; // d = 0 (the row is zero-filled)
        float d = -maxScale / 32;
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K, o = ROW_D + ibl * SIZE;
            float sigma2 = IqkSearch.sumSquares(x, xbl) * 0.0087890625f;
            int scalesH = 0;
            for (int ib = 0; ib < 8; ++ib) {
                int xo = xbl + 32 * ib;
                weights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                int ls = Math.max(-32, Math.min(31, nearestIntFma(id, scales[8 * ibl + ib])));
                float bestScore = Float.MAX_VALUE;
                int bestLs = ls;
                for (int ils = Math.max(-32, ls - 1); ils <= Math.min(31, ls + 1); ++ils) {
                    float dl = d * ils;
                    float idl = dl != 0 ? 1 / dl : 0.f;
                    float score = 0;
                    for (int j = 0; j < 16; ++j) {
                        float w1 = weight[2 * j], w2 = weight[2 * j + 1], x1 = x[xo + 2 * j], x2 = x[xo + 2 * j + 1];
                        int idx = index(idl, x1, x2, w1, w2);
                        float diff1 = Math.fma(dl, FIRST[idx], -x1), diff2 = Math.fma(dl, SECOND[idx], -x2);
                        score += Math.fma(w1 * diff1, diff1, (w2 * diff2) * diff2);
                    }
                    if (score < bestScore) { bestScore = score; bestLs = ils; }
                }
                ls = bestLs;
                int uls = ls + 32;
                out[o + SCALES_L + ib % 4] |= (byte) ((uls & 0xf) << 4 * (ib / 4));
                scalesH |= (uls >> 4) << 2 * ib;
                if (ls == 0) continue;
                float dl = d * ls;
                float idl = 1 / dl;
                for (int j = 0; j < 16; ++j) {
                    float w1 = weight[2 * j], w2 = weight[2 * j + 1], x1 = x[xo + 2 * j], x2 = x[xo + 2 * j + 1];
                    int idx = index(idl, x1, x2, w1, w2);
                    out[o + QS + 16 * (ib / 2) + j] |= (byte) ((idx & 0xf) << 4 * (ib % 2));
                    out[o + QH + j] |= (byte) ((idx >> 4) << ib);
                    float q1 = ls * FIRST[idx], q2 = ls * SECOND[idx];
                    sumqx += Math.fma(w1 * q1, x1, (w2 * q2) * x2);
                    sumq2 += Math.fma(w1 * q1, q1, (w2 * q2) * q2);
                }
            }
            put16(out, o + SCALES_H, scalesH);
        }
        if (sumq2 > 0) d = sumqx / sumq2;
        putHalf(out, 0, 1.025f * d);
    }

    /** Σw·q·x and Σw·q² over the block's pairs for the grid points of +id·x and −id·x. */
    private static float[] sums(float[] x, int xo, float[] weight, float id) {
        float qxP = 0, q2P = 0, qxM = 0, q2M = 0;
        for (int j = 0; j < 32; j += 2) {
            float w1 = weight[j], w2 = weight[j + 1], x1 = x[xo + j], x2 = x[xo + j + 1];
            int idx = index(id, x1, x2, w1, w2);
            float q1 = FIRST[idx], q2 = SECOND[idx];
            qxP += Math.fma(w1 * q1, x1, (w2 * q2) * x2);
            q2P += Math.fma(w1 * q1, q1, (w2 * q2) * q2);
            idx = index(-id, x1, x2, w1, w2);
            q1 = FIRST[idx];
            q2 = SECOND[idx];
            qxM += Math.fma(w1 * q1, x1, (w2 * q2) * x2);
            q2M += Math.fma(w1 * q1, q1, (w2 * q2) * q2);
        }
        return new float[] {qxP, q2P, qxM, q2M};
    }

    /** With an imatrix {@code qw·sqrt(σ² + x²)}, else |x|. */
    private static void weights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] w) {
        if (qw != null) {
            IqkSearch.imatrixWeights(qw, qo, x, xo, sigma2, w, 32);
        } else {
            for (int j = 0; j < 32; ++j) w[j] = Math.abs(x[xo + j]);
        }
    }

    /** {@code dequantize_row_iq2_kl}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException("iq2_kl works on whole rows of blocks of 256 values; got " + n);
        }
        float d = Fp16.halfToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, srcOffset));
        byte[] b = new byte[SIZE];
        for (int i = 0; i < n / QK_K; i++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + ROW_D + (long) i * SIZE, b, 0, SIZE);
            int scalesH = (b[SCALES_H] & 0xFF) | ((b[SCALES_H + 1] & 0xFF) << 8);
            int yb = yOff + i * QK_K;
            for (int ib64 = 0; ib64 < 4; ++ib64) {
                float dl1 = d * ((((b[SCALES_L + (2 * ib64) % 4] & 0xFF) >> 4 * (ib64 / 2)) & 0xf | ((scalesH >> (4 * ib64)) & 3) << 4) - 32);
                float dl2 = d * ((((b[SCALES_L + (2 * ib64 + 1) % 4] & 0xFF) >> 4 * (ib64 / 2)) & 0xf | ((scalesH >> (4 * ib64 + 2)) & 3) << 4) - 32);
                for (int j = 0; j < 16; ++j) {
                    int q = b[QS + 16 * ib64 + j] & 0xFF, h = b[QH + j] & 0xFF;
                    int i1 = (q & 0xf) | (((h >> (2 * ib64)) & 1) << 4), i2 = (q >> 4) | (((h >> (2 * ib64 + 1)) & 1) << 4);
                    y[yb + 2 * j] = dl1 * FIRST[i1];
                    y[yb + 2 * j + 1] = dl1 * SECOND[i1];
                    y[yb + 2 * j + 32] = dl2 * FIRST[i2];
                    y[yb + 2 * j + 33] = dl2 * SECOND[i2];
                }
                yb += 64;
            }
        }
    }
}
