package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;


import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ6_K (6.625 bpw), an ik-only type: {@code quantize_iq6_k} / {@code quantize_row_iq6_k_impl} and
 * {@code dequantize_row_iq6_k} ({@code iqk/iqk_quantize.cpp}). Block (212 bytes): d (fp16), extra (u16: bit ib = block
 * ib uses the levels shifted by +1), scales[16] (int8), qs[128] (low 4 bits), qh[64] (high 2 bits); 16 blocks of 16
 * with 6-bit non-linear levels. The quantizer searches the table {@code iq6nl_values}; the dequantizer evaluates
 * ik's cubic {@code -127 + q·(6.2568 + q·(-0.11218 + q·0.0011972))} (fused as ik's build computes it) instead.
 */
final class IkIq6K extends IkBlockCodec {
    static final IkIq6K INSTANCE = new IkIq6K(false);
    /** As ik's kernels read it: each index's int8 table level ({@link IkKernelCodecs}), not the cubic. */
    static final IkIq6K AS_IK_KERNELS_READ_IT = new IkIq6K(true);

    private static final int D = 0, EXTRA = 2, SCALES = 4, QS = 20, QH = 148, SIZE = 212;
    private static final float A = -127.f, B = 6.2568f, C = 0.11218f, DD = 0.0011972f, S = 1.f;

    /** {@code iq6nl_values[0..63]}; the shifted table is each value + 1 ({@code quantize_iq6_k}). */
    private static final byte[] VALUES = {
        -127, -121, -115, -109, -104,  -98,  -93,  -88,  -84,  -79,  -74,  -70,  -66,  -62,  -58,  -54,
         -51,  -47,  -44,  -40,  -37,  -34,  -31,  -28,  -25,  -22,  -19,  -16,  -13,  -11,   -8,   -5,
          -2,    0,    3,    6,    9,   12,   14,   17,   20,   23,   27,   30,   33,   36,   40,   44,
          47,   51,   55,   59,   63,   68,   72,   77,   82,   87,   92,   98,  103,  109,  115,  121
    };

    /** The int8 levels ik's kernels read: {@link #VALUES}, then each + 1 (the shifted table). */
    static final byte[] KERNEL_VALUES = new byte[128];

    static {
        for (int i = 0; i < 64; i++) {
            KERNEL_VALUES[i] = VALUES[i];
            KERNEL_VALUES[64 + i] = (byte) (VALUES[i] + 1);
        }
    }

    /** {@code iq6nl_index} (unsigned): the nearest level, or 64+k when between k and k+1. */
    private static final short[] INDEX = {
           0,   0,   0,  64,   1,   1,   1,   1,   1,  65,   2,   2,   2,   2,   2,  66,   3,   3,   3,   3,  67,  67,   4,   4,   4,   4,  68,   5,   5,   5,   5,  69,
          69,   6,   6,   6,  70,  70,   7,   7,   7,  71,   8,   8,   8,  72,  72,   9,   9,   9,  73,  73,  10,  10,  10,  74,  11,  11,  11,  75,  12,  12,  12,  76,
          13,  13,  13,  77,  14,  14,  14,  78,  15,  15,  79,  79,  16,  16,  80,  17,  17,  81,  81,  18,  18,  82,  19,  19,  83,  83,  20,  84,  84,  21,  85,  85,
          22,  86,  86,  23,  87,  87,  24,  88,  88,  25,  89,  89,  26,  90,  90,  27,  91,  91,  28,  92,  29,  93,  93,  30,  94,  94,  31,  95,  95,  32,  96,  33,
          97,  97,  34,  98,  98,  35,  99,  99,  36, 100, 100,  37, 101,  38, 102, 102,  39, 103, 103,  40, 104, 104,  41,  41, 105,  42,  42, 106, 106,  43, 107, 107,
          44, 108, 108,  45,  45, 109,  46,  46,  46, 110,  47,  47, 111, 111,  48,  48, 112,  49,  49,  49, 113,  50,  50,  50, 114,  51,  51,  51, 115,  52,  52,  52,
         116, 116,  53,  53,  53, 117,  54,  54,  54, 118, 118,  55,  55,  55, 119, 119,  56,  56,  56, 120, 120,  57,  57,  57, 121, 121,  58,  58,  58,  58, 122,  59,
          59,  59,  59, 123, 123,  60,  60,  60,  60, 124,  61,  61,  61,  61,  61, 125,  62,  62,  62,  62,  62, 126,  63,  63,  63
    };

    /** Float levels (the shifted table is each + 1) with {@code best_index_iq6nl}'s lookup over {@code (int)(x - values[0])}. */
    static final IqkLevels LEVELS = IqkLevels.indexedOnDifference(levels(), INDEX);

    private static float[] levels() {
        float[] v = new float[128];
        for (int i = 0; i < 64; ++i) {
            v[i] = VALUES[i];
            v[i + 64] = v[i] + S;
        }
        return v;
    }

    private static final IqkSearch SEARCH = new IqkSearch(LEVELS, 16, 5, 1, false, true, false, false);

    private final boolean tableLevels;

    private IkIq6K(boolean tableLevels) {
        super(GgmlType.IQ6_K);
        this.tableLevels = tableLevels;
    }

    /** Index q's level (+1 where the table is shifted): {@code iq6nl_values} as ik's kernels, or ik's cubic as its dequantizer. */
    private float level(int q, float m) {
        if (tableLevels) return VALUES[q] + m;
        float f = q;
        return Math.fma(f, Math.fma(f, Math.fma(f, DD, -C), B), A) + m;
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 16);
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        for (int ibl = 0; ibl < n / QK_K; ++ibl) quantizeSuperBlock(x, xOff + ibl * QK_K, w, ibl * QK_K, out, ibl * SIZE, sc);
    }

    private static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, byte[] out, int o, IqkSearch.Scratch sc) {
        for (int k = 0; k < SIZE; k++) out[o + k] = 0;
        final float sigma2 = (2 * IqkSearch.sumSquares(x, xb)) * 0.00390625f;
        SEARCH.searchBlocks(x, xb, qw, qo, sigma2, sc);
        if (sc.maxScale == 0) return;
        float[] scales = sc.scales, weight = sc.weight;
        int extra = sc.extra;
        float d = -sc.maxScale / 127;
        putHalf(out, o + D, d);
        put16(out, o + EXTRA, extra);
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int ls = Math.max(-127, Math.min(127, nearestIntFma(id, scales[ib])));
            out[o + SCALES + ib] = (byte) ls;
            float dl = d * ls;
            if (dl == 0) continue;
            int table = (extra & (1 << ib)) != 0 ? 1 : 0;
            int xo = xb + 16 * ib;
            IqkSearch.weights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            float idl = 1 / dl;
            int ib32 = ib / 2, offset = 16 * (ib % 2);
            int qs = o + QS + 32 * (ib32 / 2) + offset, qh = o + QH + 32 * (ib32 / 4) + offset;
            for (int j = 0; j < 16; ++j) {
                int ibest = LEVELS.bestIndex(table, idl * x[xo + j]);
                out[qs + j] |= (byte) ((ibest & 0xf) << 4 * (ib32 % 2));
                out[qh + j] |= (byte) ((ibest >> 4) << 2 * (ib32 % 4));
                float q = LEVELS.value(table, ibest) * ls;
                float wq = weight[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
        }
        if (sumq2 > 0) putHalf(out, o + D, sumqx / sumq2);
    }

    /** {@code dequantize_row_iq6_k} (with {@link #tableLevels}: the levels of ik's kernels). */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = half(b, D);
        int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
        int qs = QS, qh = QH, shift = 0;
        for (int ib64 = 0; ib64 < QK_K / 64; ++ib64) {
            for (int k = 0; k < 4; ++k) {
                float dl = d * b[SCALES + 4 * ib64 + k];
                float m = (extra & (1 << k)) != 0 ? S : 0;
                int lowShift = 4 * (k / 2), highShift = shift + 2 * (k / 2);
                for (int j = 0; j < 16; ++j) {
                    int jj = j + 16 * (k % 2);
                    int q = (((b[qs + jj] & 0xFF) >> lowShift) & 0xf) | ((((b[qh + jj] & 0xFF) >> highShift) & 3) << 4);
                    y[yb + 16 * k + j] = dl * level(q, m);
                }
            }
            yb += 64;
            qs += 32;
            extra >>= 4;
            shift += 4;
            if (shift == 8) { qh += 32; shift = 0; }
        }
    }
}
