package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * IQ4_KT (4.0 bpw + one f32 per row), ik's 4-bit trellis type: {@code dequantize_row_iq4_kt}. Block of 256 in 8
 * blocks of 32, each 8 groups of 4 values with a 15-bit trellis index: shb[8 × u32] (bit 0: the block uses the
 * second table, offset 4096 + 32768; bits 1..7: block scale + 64; bits 8..31: bits 12..14 of the index of group
 * 0..7, three bits each), ql[64] (low 8 bits per group), qh[32] (bits 8..11: the low nibble for groups 0..31, the
 * high nibble for groups 32..63).
 */
final class IkIq4Kt extends TrellisCodec {
    static final IkIq4Kt INSTANCE = new IkIq4Kt(1f);

    /** The second trellis table's offset (ik's {@code 32768 + 4096}). */
    static final int SECOND_OFFSET = Trellis.SECOND_OFFSET;

    private static final int SHB = 0, QL = 32, QH = 96;

    private IkIq4Kt(float rowScaleFactor) {
        super(GgmlType.IQ4_KT, rowScaleFactor);
    }

    private static final int SIZE = 128, BLOCK = 32, GROUP = 4, GROUPS = BLOCK / GROUP, TRIES = 2;

    /** {@code iq4kt_quantizer(false)} and {@code iq4kt_quantizer(true)}: 15-bit indices, 625 clusters, 6 neighbours. */
    private static final class Quantizers {
        static final TrellisQuantizer FIRST = new TrellisQuantizer(GROUP, 15, false, 625, 6, Trellis.OFFSET);
        static final TrellisQuantizer SECOND = new TrellisQuantizer(GROUP, 15, false, 625, 6, SECOND_OFFSET);
    }


    /**
     * {@code quantize_row_iq4_kt_impl}: per block of 32 the best-scoring search on the first table at
     * ±amax/(scale0 + 8·t), t = −2..2, scale0 = max(90, 124·amax/amax_row); then the second table at that scale (a
     * better score marks the block for the second table without raising the best score, as in ik) and at the same
     * start scales; the row scale is −max_scale/64, the block scales integers ≤ 63 (stored + 64); then every block is
     * matched again at its final scale and the row scale refitted.
     */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] imatrix, byte[] out) {
        TrellisQuantizer first = Quantizers.FIRST, second = Quantizers.SECOND;
        float[] weights = new float[n], scales = new float[n / BLOCK];
        int[] best = new int[GROUPS];
        TrellisQuantizer.setWeights(2.0f, BLOCK, x, xOff, n, imatrix, weights);
        float amaxRow = 0;
        for (int j = 0; j < n; j++) amaxRow = Math.max(amaxRow, Math.abs(x[xOff + j]));
        if (amaxRow == 0) return; // d = 0, blocks zero
        float amaxScale = 0, maxScale = 0;
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int xb = xOff + BLOCK * ib, wb = BLOCK * ib, shb = 4 + SIZE * (ib / 8) + SHB + 4 * (ib % 8);
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[xb + j]));
            if (amax < 1e-16f) {
                scales[ib] = 0;
                continue;
            }
            float[] bestScore = {0};
            float scale0 = Math.max(90.f, 124.f * amax / amaxRow);
            tryScales(first, amax, scale0, x, xb, weights, wb, best, scales, ib, bestScore);
            second.findBestMatch(scales[ib], x, xb, weights, wb, BLOCK, best, 0);
            float[] fit = second.findBestScale(x, xb, weights, wb, BLOCK, best, 0);
            if (fit[1] > bestScore[0]) {
                scales[ib] = fit[0];
                out[shb] = 1;
            }
            if (tryScales(second, amax, scale0, x, xb, weights, wb, best, scales, ib, bestScore)) out[shb] = 1;
            float absScale = Math.abs(scales[ib]);
            if (absScale > amaxScale) {
                amaxScale = absScale;
                maxScale = scales[ib];
            }
        }
        float d = -maxScale / 64;
        putFloat(out, 0, d);
        if (d == 0) return;
        float id = 1 / d;
        float[] sums = new float[2];
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int o = 4 + SIZE * (ib / 8), b = ib % 8, shb = o + SHB + 4 * b, xb = xOff + BLOCK * ib, wb = BLOCK * ib;
            TrellisQuantizer q = (out[shb] & 1) != 0 ? second : first;
            int ls = Math.min(FusedMath.nearestIntFma(id, scales[ib]), 63);
            out[shb] = (byte) (((ls + 64) << 1) | (out[shb] & 1));
            q.findBestMatch(d * ls, x, xb, weights, wb, BLOCK, best, 0);
            for (int j = 0; j < GROUPS; j++) {
                int g = GROUPS * b + j, index = best[j];
                int high = (index >> 12) << (8 + 3 * j);
                for (int k = 0; k < 4; k++) out[shb + k] |= (byte) (high >>> 8 * k);
                out[o + QL + g] = (byte) index;
                out[o + QH + g % 32] |= (byte) (((index >> 8) & 0xf) << 4 * (g / 32));
                TrellisScaleFit.accumulate(sums, q.values(), GROUP, index, ls, weights, wb + GROUP * j, x, xb + GROUP * j);
            }
        }
        if (sums[1] > 0) putFloat(out, 0, sums[0] / sums[1]);
    }

    /**
     * The searches at ±amax/(scale0 + 8·t), t = −2..2, on one table: a score above {@code bestScore[0]} becomes the
     * best and sets the block's scale. Returns whether any did.
     */
    private static boolean tryScales(TrellisQuantizer q, float amax, float scale0, float[] x, int xb, float[] w, int wb,
                                     int[] best, float[] scales, int ib, float[] bestScore) {
        boolean improved = false;
        for (int itry = -TRIES; itry <= TRIES; ++itry) {
            for (float sign : new float[]{1, -1}) {
                q.findBestMatch(sign * amax / Math.fma(8.f, itry, scale0), x, xb, w, wb, BLOCK, best, 0);
                float[] fit = q.findBestScale(x, xb, w, wb, BLOCK, best, 0);
                if (fit[1] > bestScore[0]) {
                    bestScore[0] = fit[1];
                    scales[ib] = fit[0];
                    improved = true;
                }
            }
        }
        return improved;
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 8; ++ib) {
            int shb = Trellis.u32(b, SHB + 4 * ib);
            int offset = (shb & 1) != 0 ? SECOND_OFFSET : Trellis.OFFSET;
            float sl = d * (((shb & 0xff) >> 1) - 64);
            for (int ig = 0; ig < 8; ++ig) {
                int g = 8 * ib + ig;
                int index = Trellis.index12(b, QL, QH, g, 32) | (((shb >>> (8 + 3 * ig)) & 7) << 12);
                Trellis.group(index, offset, sl, false, 4, y, yOff + 4 * g);
            }
        }
    }
}
