package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.QuantMath.KVALUES_IQ4NL;
import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.cTruncToInt;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;
import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * ik's IQ4_NL and IQ4_XS quantizers: {@code quantize_iq4_nl} / {@code quantize_iq4_xs} →
 * {@code quantize_row_iq4_nl_impl(32 or 256, 32, …, ntry = 7)}. ik's version differs from mainline's in algorithm
 * (a table lookup for the nearest level, a greedy descent on each block's levels after the ±7 scale search) and in
 * the reference build's fused arithmetic. IQ4_NL block: d (fp16), qs[16]; IQ4_XS block: d (fp16), scales_h (u16),
 * scales_l[4], qs[128].
 */
final class IkIq4 extends IkBlockCodec {
    static final IkIq4 IQ4_NL = new IkIq4(GgmlType.IQ4_NL, 32);
    static final IkIq4 IQ4_XS = new IkIq4(GgmlType.IQ4_XS, QK_K);

    private static final int NTRY = 7, BS = 32;
    private static final byte[] V = KVALUES_IQ4NL;

    /** {@code iq4nl_index}: for ⌊x⌋+127 in 0..240, the nearest level (0..15) or 16+k when between k and k+1. */
    static final byte[] INDEX = {
         0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 16, 16,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,
         1, 17, 17,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 18,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
         3,  3,  3,  3,  3,  3, 19,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4, 20,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
         5,  5, 21, 21,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6, 22,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, 23, 23,  8,  8,  8,  8,
         8,  8,  8,  8,  8,  8, 24,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9, 25, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 26, 26,
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 27, 27, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 28, 13, 13, 13,
        13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 29, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
        14, 14, 14, 14, 30, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15
    };

    private final int superBlock, size;

    private IkIq4(GgmlType type, int superBlock) {
        super(type);
        this.superBlock = superBlock;
        this.size = type.typeSize();
    }

    /** {@code best_index_iq4nl}. */
    static int bestIndex(float x) {
        int ix = cTruncToInt(x) - V[0];
        if (ix < 0 || ix >= 241) return ix < 0 ? 0 : 15;
        ix = INDEX[ix];
        return ix < 16 ? ix : x - V[ix - 16] < V[ix - 15] - x ? ix - 16 : ix - 15;
    }

    @Override
    void quantizeBlocks(float[] src, int srcOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[superBlock];
        float[] weight = new float[BS], scales = new float[superBlock / BS];
        for (int ibl = 0; ibl < n / superBlock; ibl++) {
            quantizeSuperBlock(src, srcOff + superBlock * ibl, qw, superBlock * ibl, out, size * ibl, L, weight, scales);
        }
    }

    private void quantizeSuperBlock(float[] x, int xo, float[] qw, int qo, byte[] out, int o, byte[] L,
                                    float[] weight, float[] scales) {
        float sigma2 = 0;
        for (int j = 0; j < superBlock; ++j) sigma2 += x[xo + j] * x[xo + j];     // vectorized: not fused
        sigma2 *= 2.f / superBlock;
        for (int k = 0; k < size; k++) out[o + k] = 0;

        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < superBlock / BS; ++ib) {
            int xb = xo + ib * BS, lb = ib * BS;
            if (qw != null) {
                for (int j = 0; j < BS; ++j) {
                    float v = x[xb + j];
                    weight[j] = qw[qo + ib * BS + j] * sqrtf(Math.fma(v, v, sigma2));
                }
            } else {
                for (int j = 0; j < BS; ++j) weight[j] = x[xb + j] * x[xb + j];
            }
            float amax = 0, max = 0;
            for (int j = 0; j < BS; ++j) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) { amax = ax; max = x[xb + j]; }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / V[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < BS; ++j) {
                float xv = x[xb + j];
                int l = bestIndex(id * xv);
                L[lb + j] = (byte) l;
                float q = V[l];
                float wq = weight[j] * q;
                sumqx = Math.fma(xv, wq, sumqx);
                sumq2 = Math.fma(wq, q, sumq2);
            }
            d = sumqx / sumq2;
            float best = d * sumqx;
            float bestSumqx = sumqx, bestSumq2 = sumq2;
            for (int itry = -NTRY; itry <= NTRY; ++itry) {
                for (int end = 0; end < 2; ++end) {
                    id = (float) (itry + (end == 0 ? V[0] : V[15])) / max;
                    sumqx = 0;
                    sumq2 = 0;
                    for (int j = 0; j < BS; ++j) {
                        float xv = x[xb + j];
                        float q = V[bestIndex(id * xv)];
                        float wq = weight[j] * q;
                        sumqx = Math.fma(xv, wq, sumqx);
                        sumq2 = Math.fma(wq, q, sumq2);
                    }
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                        d = sumqx / sumq2;
                        best = d * sumqx;
                        bestSumqx = sumqx;
                        bestSumq2 = sumq2;
                        for (int j = 0; j < BS; ++j) L[lb + j] = (byte) bestIndex(id * x[xb + j]);
                    }
                }
            }
            sumqx = bestSumqx;
            sumq2 = bestSumq2;
            for (int iter = 0; iter < 32 * BS; ++iter) {
                float minStep = Float.POSITIVE_INFINITY;
                int bestJ = -1, dir = 0;
                for (int j = 0; j < BS; ++j) {
                    int lj = L[lb + j];
                    float g = (weight[j] * d) * Math.fma(-(float) V[lj], d, x[xb + j]);
                    if (g > 0 && lj < 15) {
                        float step = (float) (V[lj + 1] - V[lj]) / g;
                        if (step < minStep) { minStep = step; bestJ = j; dir = 1; }
                    } else if (g < 0 && lj > 0) {
                        float step = (float) (V[lj - 1] - V[lj]) / g;
                        if (step < minStep) { minStep = step; bestJ = j; dir = -1; }
                    }
                }
                if (bestJ < 0) break;
                float w = weight[bestJ];
                int lOld = L[lb + bestJ], vNew = V[lOld + dir], vOld = V[lOld];
                float newSumqx = Math.fma(w * x[xb + bestJ], (float) (vNew - vOld), sumqx);
                float newSumq2 = Math.fma(w, (float) (vNew * vNew - vOld * vOld), sumq2);
                if (newSumq2 > 0 && newSumqx * newSumqx > best * newSumq2) {
                    sumqx = newSumqx;
                    sumq2 = newSumq2;
                    d = sumqx / sumq2;
                    best = d * sumqx;
                    L[lb + bestJ] = (byte) (lOld + dir);
                } else {
                    break;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) { amaxScale = absD; maxScale = d; }
        }

        if (superBlock == BS) { // IQ4_NL: one block, its scale stored as is, levels redone against it
            putHalf(out, o, scales[0]);
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < BS; ++j) L[j] = (byte) bestIndex(x[xo + j] * id);
            for (int j = 0; j < 16; ++j) out[o + 2 + j] = (byte) (L[j] | (L[16 + j] << 4));
            return;
        }
        float d = -maxScale / 32;
        putHalf(out, o, d);
        float id = d != 0 ? 1 / d : 0.f;
        int scalesH = 0;
        for (int ib = 0; ib < superBlock / BS; ++ib) {
            int l = Math.max(-32, Math.min(31, nearestIntFma(scales[ib], id)));
            float dl = d * l;
            float idl = dl != 0 ? 1 / dl : 0.f;
            for (int j = 0; j < BS; ++j) L[ib * BS + j] = (byte) bestIndex(idl * x[xo + ib * BS + j]);
            l += 32;
            int lLow = l & 0xf, lHigh = l >> 4;
            if (ib % 2 == 0) out[o + 4 + ib / 2] = (byte) lLow;
            else out[o + 4 + ib / 2] |= (byte) (lLow << 4);
            scalesH |= lHigh << (2 * (ib % 8));
        }
        put16(out, o + 2, scalesH);
        for (int i = 0; i < QK_K / 32; ++i) {
            for (int j = 0; j < 16; ++j) {
                out[o + 8 + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
            }
        }
    }
}
