package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;

/**
 * IQ2_KS (2.1875 bpw), an ik-only type with one fp16 scale per row: {@code quantize_iq2_ks} as ik's llama-quantize
 * runs it ({@code quantize_row_iq2_ks_fast_impl}, the AVX2 search, since the tool passes user data without
 * {@code --slow-iq2ks}) and {@code dequantize_row_iq2_ks}. Row: d (fp16), then per 256 values extra (u16: bits 0..7
 * shifted table, bits 8..15 the 5th bit of each block's scale), scales[4] (low 4 bits), qs[64] (2 bits); blocks of 32
 * with IQ2_K's 4 levels. The AVX2 arithmetic is reproduced lane by lane: each sum runs in 8 lanes (element j in lane
 * j mod 8) and is reduced as {@code hsum_float_8} does.
 */
final class IkIq2Ks extends IkBlockCodec {
    static final IkIq2Ks INSTANCE = new IkIq2Ks();

    private static final int ROW_D = 2, EXTRA = 0, SCALES = 2, QS = 6, SIZE = 70;
    private static final byte[] VALUES = IkIq2K.VALUES;

    private IkIq2Ks() {
        super(GgmlType.IQ2_KS);
    }

    /** ik's {@code hsum_float_8}: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)). */
    private static float hsum8(float[] l) {
        float a0 = l[0] + l[4], a1 = l[1] + l[5], a2 = l[2] + l[6], a3 = l[3] + l[7];
        return (a0 + a2) + (a1 + a3);
    }

    /** The nearest of the 4 levels (table base b) to x as {@code compute_1block_iq2ks} picks it: (x − d·v)², first minimum. */
    private static int nearest(float x, float d, int b, boolean minus) {
        int best = 0;
        float dv = d * VALUES[b];
        float diff = minus ? x + dv : x - dv;
        float bestSq = diff * diff;
        for (int j = 1; j < 4; ++j) {
            dv = d * VALUES[b + j];
            diff = minus ? x + dv : x - dv;
            float sq = diff * diff;
            if (sq < bestSq) { bestSq = sq; best = j; }
        }
        return best;
    }

    /** {@code compute_1block_iq2ks}: {d, score} of the better of +d and −d levels, or null when neither has Σw·q² &gt; 0. */
    private static float[] block(float d, float[] x, int xo, float[] w, int b) {
        float[] qx1 = new float[8], q21 = new float[8], qx2 = new float[8], q22 = new float[8];
        for (int j = 0; j < 32; ++j) {
            int lane = j & 7;
            float q1 = VALUES[b + nearest(x[xo + j], d, b, false)], q2 = VALUES[b + nearest(x[xo + j], d, b, true)];
            float wq1 = w[j] * q1, wq2 = w[j] * q2;
            qx1[lane] = Math.fma(wq1, x[xo + j], qx1[lane]);
            q21[lane] = Math.fma(wq1, q1, q21[lane]);
            qx2[lane] = Math.fma(wq2, x[xo + j], qx2[lane]);
            q22[lane] = Math.fma(wq2, q2, q22[lane]);
        }
        float sumqx1 = hsum8(qx1), sumq21 = hsum8(q21), sumqx2 = hsum8(qx2), sumq22 = hsum8(q22);
        float bestD = 0, score = 0;
        boolean result = false;
        if (sumq21 > 0) {
            bestD = sumqx1 / sumq21;
            score = sumqx1 * bestD;
            result = true;
        }
        if (sumq22 > 0 && (!result || sumqx2 * sumqx2 > score * sumq22)) {
            bestD = sumqx2 / sumq22;
            score = sumqx2 * bestD;
            result = true;
        }
        return result ? new float[] {bestD, score} : null;
    }

    /** {@code compute_1block_iq2ks_rmse}: the weighted squared error at scale d; the levels into {@code idx}. */
    private static float rmse(float d, float[] x, int xo, float[] w, int b, int[] idx) {
        float[] acc = new float[8];
        for (int j = 0; j < 32; ++j) {
            idx[j] = nearest(x[xo + j], d, b, false);
            float diff = Math.fma(-d, VALUES[b + idx[j]], x[xo + j]);
            acc[j & 7] = Math.fma(w[j] * diff, diff, acc[j & 7]);
        }
        return hsum8(acc);
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] wr = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 32);
        int nbl = n / QK_K, nb = 8 * nbl;
        float[] scales = new float[nb], sw = new float[nb], weight = new float[32];
        byte[] ls = new byte[nb];
        int[] extra = new int[nbl];
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K;
            float sigma2 = (1.5f * IqkSearch.sumSquares(x, xbl)) * 0.00390625f;
            for (int ib = 0; ib < 8; ++ib) {
                int xo = xbl + 32 * ib;
                weights(x, xo, wr, ibl * QK_K + 32 * ib, sigma2, weight);
                float amax = 0, max = 0, sumw = 0;
                for (int j = 0; j < 32; ++j) {
                    float ax = Math.abs(x[xo + j]);
                    if (ax > amax) { amax = ax; max = x[xo + j]; }
                    sumw += weight[j];
                }
                sw[8 * ibl + ib] = sumw;
                if (amax < 1e-14f) {
                    scales[8 * ibl + ib] = 0;
                    continue;
                }
                float d = max / VALUES[7], best = 0;
                float[] r = block(d, x, xo, weight, 0);
                if (r != null) { best = r[1]; d = r[0]; }
                for (int itry = -13; itry <= 13; ++itry) {
                    r = block(max / Math.fma(0.5f, itry, VALUES[0]), x, xo, weight, 0);
                    if (r != null && r[1] > best) { best = r[1]; d = r[0]; }
                }
                boolean shifted = false;
                for (int itry = -13; itry <= 13; ++itry) {
                    r = block(max / Math.fma(0.5f, itry, VALUES[4]), x, xo, weight, 4);
                    if (r != null && r[1] > best) { best = r[1]; d = r[0]; shifted = true; }
                }
                scales[8 * ibl + ib] = d;
                if (shifted) extra[ibl] |= 1 << ib;
            }
            put16(out, ROW_D + ibl * SIZE + EXTRA, extra[ibl]);
        }
        float d = IkIq2K.makeQxQuants(nb, 16, scales, ls, sw);
        if (d == 0) return;
        float[] sumqx = new float[8], sumq2 = new float[8];
        int[] idx1 = new int[32], idx2 = new int[32];
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K, o = ROW_D + ibl * SIZE;
            float sigma2 = (1.5f * IqkSearch.sumSquares(x, xbl)) * 0.00390625f;
            for (int ib = 0; ib < 8; ++ib) {
                int b = (extra[ibl] & (1 << ib)) != 0 ? 4 : 0, xo = xbl + 32 * ib, k = 8 * ibl + ib;
                weights(x, xo, wr, ibl * QK_K + 32 * ib, sigma2, weight);
                float dl = d * (ls[k] - 16);
                float rmse1 = rmse(dl, x, xo, weight, b, idx1);
                if (ls[k] > 0 && dl > scales[k]) {
                    float rmse2 = rmse(d * (ls[k] - 17), x, xo, weight, b, idx2);
                    if (rmse2 < rmse1) { --ls[k]; System.arraycopy(idx2, 0, idx1, 0, 32); }
                } else if (ls[k] < 15 && dl < scales[k]) {
                    float rmse2 = rmse(d * (ls[k] - 15), x, xo, weight, b, idx2);
                    if (rmse2 < rmse1) { ++ls[k]; System.arraycopy(idx2, 0, idx1, 0, 32); }
                }
                float vd = ls[k] - 16;
                for (int j = 0; j < 32; ++j) {
                    float q = vd * VALUES[b + idx1[j]];
                    float wq = weight[j] * q;
                    sumqx[j & 7] = Math.fma(wq, x[xo + j], sumqx[j & 7]);
                    sumq2[j & 7] = Math.fma(wq, q, sumq2[j & 7]);
                    out[o + QS + 32 * (ib / 4) + j] |= (byte) (idx1[j] << 2 * (ib % 4));
                }
                int l = ls[k];
                out[o + SCALES + ib / 2] |= (byte) ((l & 0xf) << 4 * (ib % 2));
                extra[ibl] |= (l >> 4) << (8 + ib);
            }
            put16(out, o + EXTRA, extra[ibl]);
        }
        float qx = hsum8(sumqx), q2 = hsum8(sumq2);
        putHalf(out, 0, 1.000f * (q2 > 0 ? qx / q2 : d));
    }

    /** With an imatrix {@code qw·sqrt(σ² + x²)}, else {@code σ²/4 + x²}. */
    private static void weights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] w) {
        if (qw != null) {
            IqkSearch.imatrixWeights(qw, qo, x, xo, sigma2, w, 32);
        } else {
            float s4 = 0.25f * sigma2;
            for (int j = 0; j < 32; ++j) w[j] = s4 + x[xo + j] * x[xo + j];
        }
    }

    /** {@code dequantize_row_iq2_ks}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException("iq2_ks works on whole rows of blocks of 256 values; got " + n);
        }
        float d = Fp16.halfToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, srcOffset));
        byte[] b = new byte[SIZE];
        for (int i = 0; i < n / QK_K; i++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + ROW_D + (long) i * SIZE, b, 0, SIZE);
            int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
            int qs = QS, shift = 0, yb = yOff + i * QK_K;
            for (int ib64 = 0; ib64 < 4; ++ib64) {
                int sc = b[SCALES + ib64] & 0xFF;
                float dl1 = d * (((sc & 0xf) | ((extra >> 4) & 0x10)) - 16);
                float dl2 = d * (((sc >> 4) | ((extra >> 5) & 0x10)) - 16);
                int v1 = (extra & 1) != 0 ? 4 : 0, v2 = (extra & 2) != 0 ? 4 : 0;
                extra >>= 2;
                for (int j = 0; j < 32; ++j) {
                    y[yb + j] = dl1 * VALUES[v1 + (((b[qs + j] & 0xFF) >> shift) & 3)];
                    y[yb + j + 32] = dl2 * VALUES[v2 + (((b[qs + j] & 0xFF) >> (shift + 2)) & 3)];
                }
                yb += 64;
                shift += 4;
                if (shift == 8) { qs += 32; shift = 0; }
            }
        }
    }
}
