package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;


import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ5_K, an ik-only type (ik's IQ4_XS mix writes it for attn_v of GQA models): {@code quantize_iq5_k} /
 * {@code quantize_row_iq5_k_impl} and {@code dequantize_row_iq5_k} ({@code iqk/iqk_quantize.cpp}), with the
 * reference build's fused arithmetic. Block (176 bytes): d (fp16), extra (u16: bit ib = block ib uses the shifted
 * table), scales_h[4], scales_l[8], qs[128], qh[32]; 16 blocks of 16 with 6-bit scales and 5-bit non-linear levels.
 * Mainline has no IQ5_K, so this codec also dequantizes.
 */
final class IkIq5K extends IkBlockCodec {
    static final IkIq5K INSTANCE = new IkIq5K();

    private static final int D = 0, EXTRA = 2, SCALES_H = 4, SCALES_L = 8, QS = 16, QH = 144, SIZE = 176;
    private static final int NTRY = 5;

    /** {@code iq5nl_values}: 32 levels, then the same shifted by +2 (the "extra" table). */
    static final byte[] VALUES = {
        -126, -114, -103, -92, -83, -74, -65, -57, -50, -43, -36, -30, -24, -18, -12, -6, -1, 5, 11, 17, 23, 29, 36, 43, 51, 59, 68, 77, 87, 97, 109, 121,
        -124, -112, -101, -90, -81, -72, -63, -55, -48, -41, -34, -28, -22, -16, -10, -4,  1, 7, 13, 19, 25, 31, 38, 45, 53, 61, 70, 79, 89, 99, 111, 123
    };

    /** {@code iq5nl_index}: for ⌊x⌋−values[0] in 0..246, the nearest level or 32+k when between k and k+1. */
    private static final byte[] INDEX = {
         0,  0,  0,  0,  0,  0, 32,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, 33, 33,  2,  2,  2,  2,  2,  2,  2,  2,  2, 34, 34,  3,  3,
         3,  3,  3,  3,  3,  3, 35, 35,  4,  4,  4,  4,  4,  4,  4, 36, 36,  5,  5,  5,  5,  5,  5,  5, 37, 37,  6,  6,  6,  6,  6,  6,
         6, 38,  7,  7,  7,  7,  7,  7, 39, 39,  8,  8,  8,  8,  8, 40, 40,  9,  9,  9,  9,  9, 41, 41, 10, 10, 10, 10, 10, 42, 11, 11,
        11, 11, 11, 43, 12, 12, 12, 12, 12, 44, 13, 13, 13, 13, 13, 45, 14, 14, 14, 14, 14, 46, 15, 15, 15, 15, 47, 47, 16, 16, 16, 16,
        48, 17, 17, 17, 17, 17, 49, 18, 18, 18, 18, 18, 50, 19, 19, 19, 19, 19, 51, 20, 20, 20, 20, 20, 52, 21, 21, 21, 21, 21, 53, 53,
        22, 22, 22, 22, 22, 54, 54, 23, 23, 23, 23, 23, 23, 55, 24, 24, 24, 24, 24, 24, 24, 56, 25, 25, 25, 25, 25, 25, 25, 57, 57, 26,
        26, 26, 26, 26, 26, 26, 58, 58, 27, 27, 27, 27, 27, 27, 27, 27, 59, 28, 28, 28, 28, 28, 28, 28, 28, 28, 60, 29, 29, 29, 29, 29,
        29, 29, 29, 29, 29, 61, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 62, 31, 31, 31, 31, 31, 31
    };

    private IkIq5K() {
        super(GgmlType.IQ5_K);
    }

    static final IqkLevels LEVELS = IqkLevels.indexed(VALUES, INDEX);
    private static final IqkSearch SEARCH = new IqkSearch(LEVELS, 16, NTRY, 1, false, true, false, false);

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 16);
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        for (int ibl = 0; ibl < n / QK_K; ++ibl) quantizeSuperBlock(x, xOff + ibl * QK_K, w, ibl * QK_K, out, ibl * SIZE, sc);
    }

    private static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, byte[] out, int o, IqkSearch.Scratch sc) {
        for (int k = 0; k < SIZE; k++) out[o + k] = 0;
        final float sigma2 = (IqkSearch.sumSquares(x, xb) * 2.0f) * 0.00390625f;
        SEARCH.searchBlocks(x, xb, qw, qo, sigma2, sc);
        if (sc.maxScale == 0) return;
        float[] scales = sc.scales, weight = sc.weight;
        int extra = sc.extra;
        float d = -sc.maxScale * 0.03125f;
        putHalf(out, o + D, d);
        put16(out, o + EXTRA, extra);
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int ls = Math.max(-32, Math.min(31, nearestIntFma(id, scales[ib])));
            int uls = ls + 32;
            out[o + SCALES_L + ib / 2] |= (byte) ((uls & 0xf) << 4 * (ib % 2));
            out[o + SCALES_H + ib / 4] |= (byte) ((uls >> 4) << 2 * (ib % 4));
            float dl = d * ls;
            if (dl == 0) continue;
            int table = (extra & (1 << ib)) != 0 ? 1 : 0;
            int xo = xb + 16 * ib;
            IqkSearch.weights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            float idl = 1 / dl;
            int ib32 = ib / 2, offset = 16 * (ib % 2);
            int qs = o + QS + 32 * (ib32 / 2) + offset, qh = o + QH + 32 * (ib32 / 8) + offset;
            for (int j = 0; j < 16; ++j) {
                int ibest = LEVELS.bestIndex(table, idl * x[xo + j]);
                out[qs + j] |= (byte) ((ibest & 0xf) << 4 * (ib32 % 2));
                out[qh + j] |= (byte) ((ibest >> 4) << (ib32 % 8));
                float q = LEVELS.value(table, ibest) * ls;
                float wq = weight[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
        }
        if (sumq2 > 0) putHalf(out, o + D, sumqx / sumq2);
    }

    /** {@code dequantize_row_iq5_k}. */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = Fp16.halfToFloat((short) ((b[D] & 0xFF) | (b[D + 1] << 8)));
        int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
        int qs = QS, qh = QH, shift = 0;
        for (int ib64 = 0; ib64 < QK_K / 64; ++ib64) {
            int sl0 = b[SCALES_L + 2 * ib64] & 0xFF, sl1 = b[SCALES_L + 2 * ib64 + 1] & 0xFF;
            int sh = b[SCALES_H + ib64] & 0xFF;
            float dl1 = d * (((sl0 & 0xf) | ((sh << 4) & 0x30)) - 32);
            float dl2 = d * (((sl0 >> 4) | ((sh << 2) & 0x30)) - 32);
            float dl3 = d * (((sl1 & 0xf) | (sh & 0x30)) - 32);
            float dl4 = d * (((sl1 >> 4) | ((sh >> 2) & 0x30)) - 32);
            int v1 = (extra & 1) << 5, v2 = (extra & 2) << 4, v3 = (extra & 4) << 3, v4 = (extra & 8) << 2;
            for (int j = 0; j < 16; ++j) {
                int q0 = b[qs + j] & 0xFF, q1 = b[qs + j + 16] & 0xFF;
                int h0 = (b[qh + j] & 0xFF) >> shift, h1 = (b[qh + j + 16] & 0xFF) >> shift;
                y[yb + j] = dl1 * VALUES[v1 + ((q0 & 0xf) | ((h0 & 1) << 4))];
                y[yb + j + 16] = dl2 * VALUES[v2 + ((q1 & 0xf) | ((h1 & 1) << 4))];
                y[yb + j + 32] = dl3 * VALUES[v3 + ((q0 >> 4) | ((h0 & 2) << 3))];
                y[yb + j + 48] = dl4 * VALUES[v4 + ((q1 >> 4) | ((h1 & 2) << 3))];
            }
            yb += 64;
            qs += 32;
            extra >>= 4;
            shift += 2;
            if (shift == 8) { qh += 32; shift = 0; }
        }
    }
}
