package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.util.Arrays;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ2_K (2.375 bpw), an ik-only type: {@code quantize_iq2_k} / {@code quantize_row_iq2_k_impl} and
 * {@code dequantize_row_iq2_k} ({@code iqk/iqk_quantize.cpp}). Block (76 bytes): d (fp16), extra (u16: bit ib = block
 * ib uses the shifted table), scales[8] (4 bits each, scale − 8), qs[64] (2 bits each); 16 blocks of 16 with 4
 * non-linear levels ({@code iq2nl_values}). Unlike its siblings it searches every split of the block's sorted values
 * into 4 runs (both tables, both signs) and fits the block scales with iqk's own {@code make_qx_quants}.
 */
final class IkIq2K extends IkBlockCodec {
    static final IkIq2K INSTANCE = new IkIq2K();

    private static final int D = 0, EXTRA = 2, SCALES = 4, QS = 12, SIZE = 76;

    /** {@code iq2nl_values}: 4 levels, then the same shifted by +5 … +6. */
    static final byte[] VALUES = {-31, -13, 1, 17, -26, -8, 6, 22};

    /** The levels of the 4 variants searched, in ik's order: plain, shifted, plain reversed, shifted reversed. */
    static final float[] VARIANTS = {-31, -13, 1, 17, -26, -8, 6, 22, 17, 1, -13, -31, 22, 6, -8, -26};

    /** {@code best_index_iq2nl}. */
    static final IqkLevels LEVELS = IqkLevels.fourLevels(VALUES);

    private IkIq2K() {
        super(GgmlType.IQ2_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 16);
        Scratch s = new Scratch();
        for (int ibl = 0; ibl < n / QK_K; ++ibl) quantizeSuperBlock(x, xOff + ibl * QK_K, w, ibl * QK_K, out, ibl * SIZE, s);
    }

    /**
     * A block's scale search: returns the scale, {@code s.shifted} says whether the shifted table won. Picked once:
     * {@link IkIq2KVectorSearch} when {@code jdk.incubator.vector} is present, else the scalar walk
     * ({@link #searchBlockScalar}, the oracle it equals).
     */
    interface BlockSearch {
        float search(float[] x, int xo, float[] weight, Scratch s);
    }

    private static final BlockSearch SEARCH = VectorModule.PRESENT ? IkIq2KVectorSearch.create() : IkIq2K::searchScalar;

    static final class Scratch {
        final float[] scales = new float[16], weight = new float[16], sw = new float[16];
        final float[] sumx = new float[17], sumw = new float[17];
        final long[] pairs = new long[16];
        final byte[] ls = new byte[16];
        final float[] headX = new float[4], headW = new float[4];
        float best, d;
        boolean shifted;
    }

    private static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, byte[] out, int o, Scratch s) {
        for (int k = 0; k < SIZE; k++) out[o + k] = 0;
        final float sigma2 = (1.5f * IqkSearch.sumSquares(x, xb)) * 0.00390625f;
        float[] weight = s.weight, scales = s.scales;
        int extra = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int xo = xb + 16 * ib;
            IqkSearch.weights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            float sw = 0, amax = 0;
            for (int j = 0; j < 16; ++j) {
                sw += weight[j];
                amax = Math.max(amax, Math.abs(x[xo + j]));
            }
            s.sw[ib] = sw;
            if (amax < 1e-16f) {
                scales[ib] = 0;
                continue;
            }
            scales[ib] = SEARCH.search(x, xo, weight, s);
            if (s.shifted) extra |= 1 << ib;
            maxAbsScale = Math.max(maxAbsScale, Math.abs(scales[ib]));
        }
        if (maxAbsScale == 0) return;
        float d = makeQxQuants(16, 8, scales, s.ls, s.sw);
        if (d == 0) return;
        put16(out, o + EXTRA, extra);
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int ls = Math.max(-8, Math.min(7, nearestIntFma(id, scales[ib])));
            out[o + SCALES + ib / 2] |= (byte) ((ls + 8) << 4 * (ib % 2));
            float dl = d * ls;
            if (dl == 0) continue;
            int table = (extra & (1 << ib)) != 0 ? 1 : 0;
            int xo = xb + 16 * ib;
            IqkSearch.weights(x, xo, qw, qo + 16 * ib, sigma2, weight);
            float idl = 1 / dl;
            int ib32 = ib / 2;
            int qs = o + QS + 32 * (ib32 / 4) + 16 * (ib % 2);
            for (int j = 0; j < 16; ++j) {
                int ibest = LEVELS.bestIndex(table, idl * x[xo + j]);
                out[qs + j] |= (byte) (ibest << 2 * (ib32 % 4));
                float q = LEVELS.value(table, ibest) * ls;
                float wq = weight[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
        }
        putHalf(out, o + D, 1.030f * (sumq2 > 0 ? sumqx / sumq2 : d));
    }

    /**
     * The best scale of one block: every split i1 ≤ i2 ≤ i3 of its values sorted ascending into four runs mapped to
     * the levels in order or reversed, on both tables, every (i1, i2) row walked in ik's order ({@link #scanRow}).
     */
    static float searchScalar(float[] x, int xo, float[] weight, Scratch s) {
        sortedSums(x, xo, weight, s);
        s.best = 0;
        s.d = 0;
        s.shifted = false;
        for (int i1 = 0; i1 < 16; ++i1) for (int i2 = i1; i2 < 16; ++i2) scanRow(i1, i2, s);
        return s.d;
    }

    /** {@link #searchScalar} on a fresh scratch, for tests. */
    static float searchBlockScalar(float[] x, int xo, float[] weight, boolean[] shifted) {
        Scratch s = new Scratch();
        float d = searchScalar(x, xo, weight, s);
        shifted[0] = s.shifted;
        return d;
    }

    /** The block's values sorted ascending (as {@code std::sort} of (x, j) pairs) and the prefix sums Σw and Σwx. */
    static void sortedSums(float[] x, int xo, float[] weight, Scratch s) {
        long[] pairs = s.pairs;
        for (int j = 0; j < 16; ++j) pairs[j] = sortKey(x[xo + j]) << 4 | j;
        Arrays.sort(pairs);
        float[] sumx = s.sumx, sumw = s.sumw;
        sumx[0] = sumw[0] = 0;
        for (int j = 0; j < 16; ++j) {
            int jj = (int) (pairs[j] & 15);
            sumw[j + 1] = sumw[j] + weight[jj];
            sumx[j + 1] = Math.fma(weight[jj], x[xo + jj], sumx[j]);
        }
    }

    /**
     * One (i1, i2) row of ik's search in its order: every i3 ≥ i2, the four variants in ik's order (plain, shifted,
     * plain reversed, shifted reversed), updating {@code s.best}, {@code s.d} and {@code s.shifted}. The i3-invariant
     * head of each sum is computed once with the same roundings as ik's expression (ik's build fuses the first
     * product into the rounded second).
     */
    static void scanRow(int i1, int i2, Scratch s) {
        final float[] sumx = s.sumx, sumw = s.sumw, v = VARIANTS, hx = s.headX, hw = s.headW;
        float best = s.best, d = s.d;
        boolean shifted = s.shifted;
        float x0 = sumx[i1] - sumx[0], x1 = sumx[i2] - sumx[i1];
        float w0 = sumw[i1] - sumw[0], w1 = sumw[i2] - sumw[i1];
        for (int k = 0; k < 4; ++k) {
            float v0 = v[4 * k], v1 = v[4 * k + 1];
            hx[k] = Math.fma(x0, v0, x1 * v1);
            hw[k] = Math.fma(w0 * v0, v0, (w1 * v1) * v1);
        }
        for (int i3 = i2; i3 < 16; ++i3) {
            float x2 = sumx[i3] - sumx[i2], x3 = sumx[16] - sumx[i3];
            float w2 = sumw[i3] - sumw[i2], w3 = sumw[16] - sumw[i3];
            for (int k = 0; k < 4; ++k) {
                float v2 = v[4 * k + 2], v3 = v[4 * k + 3];
                float sumqx = Math.fma(x3, v3, Math.fma(x2, v2, hx[k]));
                float sumq2 = Math.fma(w3 * v3, v3, Math.fma(w2 * v2, v2, hw[k]));
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2; best = d * sumqx; shifted = (k & 1) != 0;
                }
            }
        }
        s.best = best;
        s.d = d;
        s.shifted = shifted;
    }

    /** A key that sorts floats as C's {@code <} does (no NaN here), for {@code std::sort} of (x, j) pairs. */
    private static long sortKey(float f) {
        int bits = Float.floatToRawIntBits(f == 0 ? 0f : f);
        return bits < 0 ? ~bits & 0x7fffffffL : bits | 0x80000000L;
    }


    /**
     * iqk's own {@code make_qx_quants(n, nmax, x, L, qw)} (not ggml's): levels in {@code [-nmax, nmax)}, the ±0.1
     * scale search, no descent. Fused as ik's build computes it.
     */
    static float makeQxQuants(int n, int nmax, float[] x, byte[] L, float[] qw) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax == 0) {
            Arrays.fill(L, 0, n, (byte) 0);
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestIntFma(iscale, x[i])));
            L[i] = (byte) (l + nmax);
            sumlx = Math.fma(qw[i] * x[i], l, sumlx);
            suml2 = Math.fma(qw[i] * l, l, suml2);
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            iscale = -Math.fma(0.1f, is, nmax) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i) {
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestIntFma(iscale, x[i])));
                sumlx = Math.fma(qw[i] * x[i], l, sumlx);
                suml2 = Math.fma(qw[i] * l, l, suml2);
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    L[i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, nearestIntFma(iscale, x[i]))));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** {@code dequantize_row_iq2_k}. */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = half(b, D);
        int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
        int qs = QS, shift = 0;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            int sc = b[SCALES + ib32] & 0xFF;
            float dl1 = d * ((sc & 0xf) - 8);
            float dl2 = d * ((sc >> 4) - 8);
            int v1 = 4 * (extra & 1), v2 = 2 * (extra & 2);
            extra >>= 2;
            for (int j = 0; j < 16; ++j) {
                y[yb + j] = dl1 * VALUES[v1 + (((b[qs + j] & 0xFF) >> shift) & 3)];
                y[yb + j + 16] = dl2 * VALUES[v2 + (((b[qs + j + 16] & 0xFF) >> shift) & 3)];
            }
            yb += 32;
            shift += 2;
            if (shift == 8) { qs += 32; shift = 0; }
        }
    }
}
