package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;


import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ4_K (4.5 bpw), an ik-only type: {@code quantize_iq4_k} / {@code quantize_row_iq4_k_impl_bs16} and
 * {@code dequantize_row_iq4_k} ({@code iqk/iqk_quantize.cpp}). Block (144 bytes): d (fp16), extra (u16: bit ib =
 * block ib uses the shifted table), scales_h[4] (2 high bits of each 6-bit scale), scales_l[8], qs[128]; 16 blocks of
 * 16 with 4-bit non-linear levels ({@code iq4k_values}).
 */
final class IkIq4K extends IkBlockCodec {
    static final IkIq4K INSTANCE = new IkIq4K();

    private static final int D = 0, EXTRA = 2, SCALES_H = 4, SCALES_L = 8, QS = 16, SIZE = 144;

    /** {@code iq4k_values}: 16 levels, then the same shifted by +4. */
    static final byte[] VALUES = {
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -123, -100, -79, -61, -45, -31, -18,  -6, 5, 17, 29, 42, 57, 73, 93, 117
    };

    /** Nearest levels through {@code iq4nl_index}, the table IQ4_NL/IQ4_XS use too. */
    static final IqkLevels LEVELS = IqkLevels.indexed(VALUES, IkIq4.INDEX);
    private static final IqkSearch SEARCH = new IqkSearch(LEVELS, 16, 7, 1, false, false, true, false);

    private IkIq4K() {
        super(GgmlType.IQ4_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 16);
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        byte[] L = new byte[QK_K];
        for (int ibl = 0; ibl < n / QK_K; ++ibl) quantizeSuperBlock(x, xOff + ibl * QK_K, w, ibl * QK_K, out, ibl * SIZE, sc, L);
    }

    private static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, byte[] out, int o, IqkSearch.Scratch sc,
                                           byte[] L) {
        final float sigma2 = IqkSearch.sumSquares(x, xb) * 0.0078125f;
        for (int k = 0; k < SIZE; k++) out[o + k] = 0;
        SEARCH.searchBlocks(x, xb, qw, qo, sigma2, sc);
        float[] scales = sc.scales, weight = sc.weight;
        int extra = sc.extra;
        float d = -sc.maxScale / 32;
        putHalf(out, o + D, d);
        put16(out, o + EXTRA, extra);
        float id = d != 0 ? 1 / d : 0.f;
        float sumqx = 0, sumq2 = 0;
        int scalesH = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int table = (extra & (1 << ib)) != 0 ? 1 : 0;
            int l = Math.max(-32, Math.min(31, nearestIntFma(id, scales[ib])));
            float dl = d * l;
            float idl = dl != 0 ? 1 / dl : 0.f;
            int xo = xb + 16 * ib;
            SEARCH.blockWeights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            for (int j = 0; j < 16; ++j) {
                int lb = LEVELS.bestIndex(table, idl * x[xo + j]);
                L[16 * ib + j] = (byte) lb;
                float q = LEVELS.value(table, lb) * l;
                float wq = weight[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
            l += 32;
            out[o + SCALES_L + ib / 2] |= (byte) ((l & 0xf) << 4 * (ib % 2));
            scalesH |= (l >> 4) << 2 * ib;
        }
        put16(out, o + SCALES_H, scalesH);
        put16(out, o + SCALES_H + 2, scalesH >>> 16);
        if (sumq2 > 0) putHalf(out, o + D, sumqx / sumq2);
        for (int i = 0; i < QK_K / 32; ++i) {
            for (int j = 0; j < 16; ++j) out[o + QS + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }


    /** {@code dequantize_row_iq4_k}. */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = half(b, D);
        int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            int sh = (b[SCALES_H + ib / 2] & 0xFF) >> 4 * (ib % 2);
            int sl = b[SCALES_L + ib] & 0xFF;
            float dl1 = d * (((sl & 0xf) | ((sh << 4) & 0x30)) - 32);
            float dl2 = d * (((sl >> 4) | ((sh << 2) & 0x30)) - 32);
            int v1 = 16 * (extra & 1), v2 = 8 * (extra & 2);
            extra >>= 2;
            for (int j = 0; j < 16; ++j) {
                int q = b[QS + 16 * ib + j] & 0xFF;
                y[yb + j] = dl1 * VALUES[v1 + (q & 0xf)];
                y[yb + j + 16] = dl2 * VALUES[v2 + (q >> 4)];
            }
            yb += 32;
        }
    }
}
