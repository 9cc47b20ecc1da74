package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;

/**
 * IQ3_KT (3.125 bpw + one f32 per row), ik's 3-bit trellis type: {@code dequantize_row_iq3_kt}. The trellis gives
 * magnitudes ({@code is_abs}); a sign bit per value flips them. Block of 256: scales[4] (two 4-bit block scales each,
 * used as plain integers: low nibble for a block of 32 in the first half, high nibble for its partner in the second),
 * ql[32 × u16] (one trellis index per group of 8; first 16 for values 0..127, last 16 for 128..255), qh[32] (bit
 * {@code ib} of {@code qh[8·ig + j]}: sign of value j of group ig of block ib, bit {@code ib + 4} the same in the
 * second half).
 */
final class IkIq3Kt extends TrellisCodec {
    static final IkIq3Kt INSTANCE = new IkIq3Kt(1f);
    /** As ik's x86 matrix multiplication reads it ({@code iqk_gemm_ktquants.cpp}: row scale × 1.01f). */
    static final IkIq3Kt AS_IK_KERNELS_READ_IT = new IkIq3Kt(IkKernelCodecs.rowScaleFactor(GgmlType.IQ3_KT));

    private static final int SCALES = 0, QL = 4, QH = 68;

    private IkIq3Kt(float rowScaleFactor) {
        super(GgmlType.IQ3_KT, rowScaleFactor);
    }

    private static final int SIZE = 100, BLOCK = TrellisScaleFit.BLOCK, GROUPS = TrellisScaleFit.GROUPS;

    /** {@code iq3kt_quantizer()}: 16-bit indices of magnitudes, 8 neighbours per point. */
    private static final class Quantizer {
        static final TrellisQuantizer INSTANCE = new TrellisQuantizer(16, true, 8);
    }


    /**
     * {@code quantize_row_iq3_kt_impl}: the magnitudes |x| are matched; per block of 32 the best-scoring of the searches
     * at amax/(scale0 + 8·t), t = −3..3, scale0 = max(84, 123·amax/amax_row); the row scale from 19 tries of integer
     * block scales 0..15 at {@code fma(t, 0.2, 15)/max_scale} (sums of products rounded, in order: ik's build
     * vectorizes the products there); then every block is matched again at its final scale, with the signs in qh,
     * and the row scale refitted.
     */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] imatrix, byte[] out) {
        float amaxRow = 0;
        for (int j = 0; j < n; j++) amaxRow = Math.max(amaxRow, Math.abs(x[xOff + j]));
        if (amaxRow == 0) return; // d = 0, blocks zero
        TrellisQuantizer q = Quantizer.INSTANCE;
        float[] weights = new float[n], scales = new float[n / BLOCK], chosen = new float[n], xaux = new float[BLOCK];
        int[] best = new int[2 * GROUPS];
        TrellisQuantizer.setWeights(2.0f, BLOCK, x, xOff, n, imatrix, weights);
        float amaxScale = 0, maxScale = 0;
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int xb = xOff + BLOCK * ib, wb = BLOCK * ib;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                xaux[j] = Math.abs(x[xb + j]);
                amax = Math.max(amax, xaux[j]);
            }
            if (amax < 1e-16f) {
                scales[ib] = 0; // its values in `chosen` stay 0 (ik leaves stale ones, multiplied by level 0)
                continue;
            }
            float scale0 = Math.max(84.f, 123.f * amax / amaxRow);
            float bestScore = 0;
            boolean found = false;
            for (int itry = -3; itry <= 3; ++itry) {
                q.findBestMatch(amax / Math.fma(8.0f, itry, scale0), xaux, 0, weights, wb, BLOCK, best, 0);
                float[] fit = q.findBestScale(xaux, 0, weights, wb, BLOCK, best, 0);
                if (fit[1] > bestScore) {
                    bestScore = fit[1];
                    found = true;
                    scales[ib] = fit[0];
                    System.arraycopy(best, 0, best, GROUPS, GROUPS);
                }
            }
            if (!found) throw new KilnException("cannot quantize to iq3_kt: ik's search finds no solution for block " + ib
                    + " of the row (ik_llama.cpp aborts here too)");
            for (int ig = 0; ig < GROUPS; ig++) {
                System.arraycopy(q.values(), 8 * best[GROUPS + ig], chosen, wb + 8 * ig, 8);
            }
            float absScale = Math.abs(scales[ib]);
            if (absScale > amaxScale) {
                amaxScale = absScale;
                maxScale = scales[ib];
            }
        }
        float d = rowScale(maxScale, x, xOff, n, weights, scales, chosen);
        float id = d != 0 ? 1 / d : 0.f;
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int o = 4 + SIZE * (ib / 8) + SCALES + ib % 4;
            out[o] |= (byte) (level(id, scales[ib]) << 4 * (ib % 8 / 4));
        }
        putFloat(out, 0, d);
        float[] sums = new float[2];
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int o = 4 + SIZE * (ib / 8), b = ib % 8, xb = xOff + BLOCK * ib, wb = BLOCK * ib;
            for (int j = 0; j < BLOCK; j++) {
                xaux[j] = Math.abs(x[xb + j]);
                if (x[xb + j] < 0) out[o + QH + j] |= (byte) (1 << b);
            }
            int ls = ((out[o + SCALES + b % 4] & 0xff) >> 4 * (b / 4)) & 0xf;
            q.findBestMatch(d * ls, xaux, 0, weights, wb, BLOCK, best, 0);
            for (int j = 0; j < GROUPS; j++) {
                put16(out, o + QL + 2 * (GROUPS * b + j), best[j]);
                TrellisScaleFit.accumulate(sums, q.values(), 8, best[j], ls, weights, wb + 8 * j, xaux, 8 * j);
            }
        }
        if (sums[1] > 0) putFloat(out, 0, sums[0] / sums[1]);
    }

    /** A block scale as an integer level 0..15 at inverse row scale {@code id}: ik's fused {@code nearest_int(id*scale)}. */
    private static int level(float id, float scale) {
        return Math.max(0, Math.min(15, FusedMath.nearestIntFma(id, scale)));
    }

    /**
     * The row scale: from max_scale/15, 19 tries at {@code id = fma(t, 0.2, 15)/max_scale}; Σw|x|q and Σwq² over
     * q = level·value, each product rounded and summed in order; kept when (Σw|x|q)²/Σwq² beats the best.
     */
    private static float rowScale(float maxScale, float[] x, int xOff, int n, float[] w, float[] scales, float[] chosen) {
        float d = maxScale / 15;
        float best = 0;
        for (int itry = -9; itry <= 9; ++itry) {
            float id = Math.fma(itry, 0.2f, 15f) / maxScale;
            float sumqx = 0, sumq2 = 0;
            for (int ib = 0; ib < n / BLOCK; ib++) {
                float dl = level(id, scales[ib]);
                for (int j = BLOCK * ib; j < BLOCK * (ib + 1); j++) {
                    float qv = dl * chosen[j];
                    sumqx += w[j] * Math.abs(x[xOff + j]) * qv;
                    sumq2 += w[j] * qv * qv;
                }
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        return d;
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 4; ++ib) {
            int sc = b[SCALES + ib] & 0xff;
            float sl = d * (sc & 0xf), sh = d * (sc >> 4);
            for (int ig = 0; ig < 4; ++ig) {
                int g = 4 * ib + ig, yl = yOff + 8 * g, yh = yl + 128;
                Trellis.group(Trellis.u16(b, QL + 2 * g), Trellis.OFFSET, sl, true, 8, y, yl);
                Trellis.group(Trellis.u16(b, QL + 2 * (16 + g)), Trellis.OFFSET, sh, true, 8, y, yh);
                for (int j = 0; j < 8; ++j) {
                    int signs = b[QH + 8 * ig + j] & 0xff;
                    if ((signs & (1 << ib)) != 0) y[yl + j] = -y[yl + j];
                    if ((signs & (16 << ib)) != 0) y[yh + j] = -y[yh + j];
                }
            }
        }
    }
}
