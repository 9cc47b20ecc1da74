package kiln.tensor.codec.grid;

import kiln.tensor.Fp16;
import kiln.tensor.codec.Flavor;

import static kiln.tensor.codec.BlockCodec.put16;

/**
 * {@code quantize_iq1_m} of llama.cpp or ik_llama.cpp ({@code quantize_row_iq1_m_impl}; importance weights optional).
 * Per block of 16: a split search ({@link Iq1MSplitSearch} in mainline, {@link Iq1MCumulativeSearch} in ik), two
 * grid indices with their high bits and the two halves' shift signs in {@code qh}, a 3-bit scale in the
 * {@code scales} words; the super-block scale is refitted over all 256 values against the quantized levels and
 * stored as fp16 in the top nibbles of the four scale words ({@code iq1m_scale_t}).
 *
 * <p>The tools differ beyond the search: ik takes sigma2 per 32 values ({@code 1.5·Σx²/32}) instead of per 256
 * ({@code 2·Σx²/256}), falls back to x² weights for a block whose weights vanish wherever x does not (its test
 * {@code Σw·|x|} skips the first value), multiplies the refitted scale by 1.085 instead of 1.1125, rounds with FMA,
 * and leaves an all-zero block's shift as the previous block's (mainline: 0). Where no split scores (all weights of
 * a block zero), ik aborts and Kiln writes mainline's empty block.
 */
final class Iq1MQuantizer implements GridCodec.RowQuantizer {

    private static final int BLOCK_BYTES = 56;
    private static final int QH = 32, SCALES = 48;
    private static final float EPS = 1e-7f; // GROUP_MAX_EPS_IQ1_M
    private static final int[] MASKS = {0x00, 0x80, 0x08, 0x88};

    private final boolean ik;

    Iq1MQuantizer(Flavor flavor) {
        this.ik = flavor == Flavor.IK;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] quantWeights, byte[] out) {
        Iq1MBlockSearch search = ik ? new Iq1MCumulativeSearch() : new Iq1MSplitSearch();
        float[] weight = new float[16], scales = new float[16], sigma2 = new float[8];
        int[] shifts = new int[16];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl, y = BLOCK_BYTES * ibl;
            superBlockSigma2(x, xbl, sigma2);
            float maxScale = 0;
            for (int ib = 0; ib < 16; ++ib) {
                int xb = xbl + 16 * ib;
                weights(x, xb, quantWeights, 256 * ibl + 16 * ib, sigma2[ib / 2], weight);
                float max = Math.abs(x[xb]), sumwx = 0;
                for (int i = 1; i < 16; ++i) {
                    float ax = Math.abs(x[xb + i]);
                    max = GridMath.cMax(max, ax);
                    sumwx = GridMath.mulAdd(ik, weight[i], ax, sumwx);
                }
                if (max < EPS) {
                    scales[ib] = 0;
                    if (!ik) shifts[ib] = 0; // ik leaves shifts[ib] as it was
                    continue;
                }
                if (ik && sumwx == 0) {
                    for (int i = 0; i < 16; ++i) weight[i] = x[xb + i] * x[xb + i];
                }
                if (!search.search(x, xb, weight)) { // no split scores: mainline's fallback (ik aborts)
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    continue;
                }
                out[y + 2 * ib] = (byte) search.index[0];
                out[y + 2 * ib + 1] = (byte) search.index[1];
                out[y + QH + ib] = (byte) ((search.index[0] >> 8) | ((search.index[1] >> 8) << 4));
                scales[ib] = search.scale;
                shifts[ib] = search.shift;
                maxScale = GridMath.cMax(maxScale, search.scale);
            }
            if (maxScale == 0) continue;
            superBlockScale(x, xbl, quantWeights, 256 * ibl, sigma2, scales, shifts, maxScale, weight, out, y);
        }
    }

    /** sigma2 of each block of 16 (by its 32-value half in ik, the whole super-block in mainline), indexed ib/2. */
    private void superBlockSigma2(float[] x, int xbl, float[] sigma2) {
        if (!ik) {
            java.util.Arrays.fill(sigma2, GridMath.sigma2(x, xbl));
            return;
        }
        for (int ib = 0; ib < 8; ++ib) {
            float sumx2 = 0;
            for (int i = 0; i < 32; ++i) sumx2 += x[xbl + 32 * ib + i] * x[xbl + 32 * ib + i];
            sigma2[ib] = 1.5f * sumx2 / 32;
        }
    }

    private void weights(float[] x, int xb, float[] quantWeights, int wOff, float sigma2, float[] weight) {
        for (int i = 0; i < 16; ++i) weight[i] = GridMath.importance(ik, quantWeights, wOff + i, sigma2, x[xb + i]);
    }

    /**
     * The 3-bit block scales against {@code max/15}, the shift signs into {@code qh}, and the super-block scale
     * refitted over every block's quantized values ({@code (2l+1)·level}), times the fudge factor, as fp16 in the
     * top nibbles of the four scale words.
     */
    private void superBlockScale(float[] x, int xbl, float[] quantWeights, int wBase, float[] sigma2, float[] scales,
                                 int[] shifts, float maxScale, float[] weight, byte[] out, int y) {
        GridNeighbours grid = GridNeighbours.iq1();
        int[] sc = new int[4];
        float d = maxScale / 15;
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < 16; ++ib) {
            int l = Math.max(0, Math.min(7, GridMath.nearestOddLevel(ik, id, scales[ib])));
            sc[ib / 4] |= l << 3 * (ib % 4);
            out[y + QH + ib] |= (byte) MASKS[shifts[ib]];
            int xb = xbl + 16 * ib;
            weights(x, xb, quantWeights, wBase + 16 * ib, sigma2[ib / 2], weight);
            int qh = out[y + QH + ib] & 0xFF;
            for (int k = 0; k < 2; ++k) {
                float[] xx = Iq1MBlockSearch.groupLevels(shifts[ib], k);
                int point = (out[y + 2 * ib + k] & 0xFF) + ((qh << (8 - 4 * k)) & 0x700);
                for (int j = 0; j < 8; ++j) {
                    float w = weight[8 * k + j];
                    float q = xx[Iq1Search.level(grid, point, j)] * (2 * l + 1);
                    sumqx = GridMath.mulAdd(ik, w * q, x[xb + 8 * k + j], sumqx);
                    sumq2 = GridMath.mulAdd(ik, w * q, q, sumq2);
                }
            }
        }
        if (sumq2 > 0) d = sumqx / sumq2;
        int s = Fp16.floatToHalf(d * (ik ? 1.085f : 1.1125f)) & 0xFFFF;
        sc[0] |= (s & 0x000f) << 12;
        sc[1] |= (s & 0x00f0) << 8;
        sc[2] |= (s & 0x0f00) << 4;
        sc[3] |= s & 0xf000;
        for (int i = 0; i < 4; ++i) put16(out, y + SCALES + 2 * i, sc[i]);
    }

}
