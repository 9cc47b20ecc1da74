package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;


import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ3_K (3.4375 bpw), an ik-only type: {@code quantize_iq3_k} / {@code quantize_row_iq3_k_impl} and
 * {@code dequantize_row_iq3_k} ({@code iqk/iqk_quantize.cpp}). Block (110 bytes): d (fp16), extra (u16: bit ib = block
 * ib uses the shifted table), scales_h (u16: the sign of each block's scale), scales_l[8] (4 bits: scale = 2·s + 1),
 * qs[64] (low 2 bits), qh[32] (3rd bit); 16 blocks of 16 with 3-bit non-linear levels ({@code iq3nl_values}). ik's
 * greedy descent after the refit changes nothing it keeps (its result is never stored), so it is left out.
 */
final class IkIq3K extends IkBlockCodec {
    static final IkIq3K INSTANCE = new IkIq3K();

    private static final int D = 0, EXTRA = 2, SCALES_H = 4, SCALES_L = 6, QS = 14, QH = 78, SIZE = 110;

    /** {@code iq3nl_values}: 8 levels, then the same shifted by +4. */
    static final byte[] VALUES = {
        -63, -40, -23, -10, 1, 13, 28,  47,
        -59, -36, -19,  -6, 5, 17, 32,  51
    };

    /** {@code iq3nl_index}. */
    private static final byte[] INDEX = {
          0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  8,  8,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  9,
          9,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 10, 10,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3, 11, 11,  4,  4,  4,  4,
          4,  4,  4,  4,  4,  4, 12,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5, 13, 13,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
          6,  6,  6,  6, 14, 14,  7,  7,  7,  7,  7,  7,  7,  7,  7
    };

    static final IqkLevels LEVELS = IqkLevels.indexed(VALUES, INDEX);
    private static final IqkSearch SEARCH = new IqkSearch(LEVELS, 16, 3, 2, true, true, false, true);

    private IkIq3K() {
        super(GgmlType.IQ3_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 16);
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        for (int ibl = 0; ibl < n / QK_K; ++ibl) quantizeSuperBlock(x, xOff + ibl * QK_K, w, ibl * QK_K, out, ibl * SIZE, sc);
    }

    private static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, byte[] out, int o, IqkSearch.Scratch sc) {
        for (int k = 0; k < SIZE; k++) out[o + k] = 0;
        final float sigma2 = (1.5f * IqkSearch.sumSquares(x, xb)) * 0.00390625f;
        SEARCH.searchBlocks(x, xb, qw, qo, sigma2, sc);
        if (sc.maxScale == 0) return;
        float[] scales = sc.scales, weight = sc.weight;
        int extra = sc.extra;
        float d = Math.abs(sc.maxScale) / 31;
        put16(out, o + EXTRA, extra);
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        int scalesH = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int ls = Math.max(0, Math.min(15, nearestIntFma(0.5f, Math.fma(id, Math.abs(scales[ib]), -1))));
            out[o + SCALES_L + ib / 2] |= (byte) (ls << 4 * (ib % 2));
            if (scales[ib] < 0) scalesH |= 1 << ib;
            ls = (2 * ls + 1) * (scales[ib] < 0 ? -1 : 1);
            float dl = d * ls;
            if (dl == 0) continue;
            int table = (extra & (1 << ib)) != 0 ? 1 : 0;
            int xo = xb + 16 * ib;
            IqkSearch.weights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            float idl = 1 / dl;
            int ib32 = ib / 2, offset = 16 * (ib % 2);
            int qs = o + QS + 32 * (ib32 / 4) + offset, qh = o + QH + offset;
            for (int j = 0; j < 16; ++j) {
                int ibest = LEVELS.bestIndex(table, idl * x[xo + j]);
                out[qs + j] |= (byte) ((ibest & 3) << 2 * (ib32 % 4));
                out[qh + j] |= (byte) ((ibest >> 2) << (ib32 % 8));
                float q = LEVELS.value(table, ibest) * ls;
                float wq = weight[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
        }
        put16(out, o + SCALES_H, scalesH);
        putHalf(out, o + D, 1.01f * (sumq2 > 0 ? sumqx / sumq2 : d));
    }


    /** {@code dequantize_row_iq3_k}. */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = half(b, D);
        int sh = (b[SCALES_H] & 0xFF) | ((b[SCALES_H + 1] & 0xFF) << 8);
        int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
        int qs = QS;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            int sl = b[SCALES_L + ib32] & 0xFF;
            float dl1 = d * ((2 * (sl & 0xf) + 1) * ((sh & 1) != 0 ? -1 : 1));
            float dl2 = d * ((2 * (sl >> 4) + 1) * ((sh & 2) != 0 ? -1 : 1));
            sh >>= 2;
            int v1 = 8 * (extra & 1), v2 = 4 * (extra & 2);
            extra >>= 2;
            int shiftL = 2 * (ib32 % 4), shiftH = ib32 % 8;
            for (int j = 0; j < 16; ++j) {
                int l1 = (((b[qs + j] & 0xFF) >> shiftL) & 3) | ((((b[QH + j] & 0xFF) >> shiftH) & 1) << 2);
                int l2 = (((b[qs + j + 16] & 0xFF) >> shiftL) & 3) | ((((b[QH + j + 16] & 0xFF) >> shiftH) & 1) << 2);
                y[yb + j] = dl1 * VALUES[v1 + l1];
                y[yb + j + 16] = dl2 * VALUES[v2 + l2];
            }
            yb += 32;
            if (shiftL == 6) qs += 32;
        }
    }
}
