package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

import java.util.Arrays;

import static kiln.tensor.codec.BlockCodec.putHalf;
import static kiln.tensor.codec.BlockCodec.sumSquares;

/**
 * IQ2_S (2.5625 bits per weight): ggml's {@code quantize_row_iq2_s_impl}, the same algorithm in llama.cpp and
 * ik_llama.cpp (roundings aside: {@link Iq2Rounding#IK_S}). Per 16 values two points of the 1024-point grid (low 8 index
 * bits in qs, high 2 in qh) with all 8 sign bits stored, and a 4-bit scale; σ² is twice the mean square, the weights
 * without an imatrix {@code 0.25·σ² + x²}; 19 trial scales around max/5, then the off-grid groups re-rounded; the fp16
 * super-block scale is 0.9875·max/31 while the 4-bit scales are taken against max/31.
 *
 * <p>One difference besides rounding: llama.cpp clears the levels of every group before its search, ik never does, so in
 * ik a group whose every trial fits no better than 0 (Σw·x·q = 0: importance weights zero wherever x ≠ 0) keeps the
 * levels of the last group that had a fit — within the row, or from the previous row or whatever else last used that
 * stack memory, since ik's array is not initialized. Kiln carries them across the groups of a row and starts each row
 * from zeros, so for such a group at the start of a row its bytes can differ from ik's (both decode to zero: its weights
 * say the values do not matter).
 */
final class Iq2SQuantizer implements GridCodec.RowQuantizer {
    private static final int BLOCK_BYTES = 82;
    /** {@code GROUP_MAX_EPS_IQ2_S}. */
    private static final float GROUP_MAX_EPS = 1e-8f;

    private final Flavor flavor;
    private final Iq2Rounding rounding;

    Iq2SQuantizer(Flavor flavor) {
        this.flavor = flavor;
        this.rounding = flavor == Flavor.IK ? Iq2Rounding.IK_S : Iq2Rounding.MAINLINE;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] weights, byte[] out) {
        Iq2Search search = new Iq2Search(GridNeighbours.iq2s(), rounding, flavor, 16);
        float[] scales = new float[16];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl;
            int o = BLOCK_BYTES * ibl;
            int qs = o + 2, signs = o + 34, qh = o + 66, scaleBytes = o + 74;
            Arrays.fill(out, o, o + BLOCK_BYTES, (byte) 0);
            float maxScale = 0;
            float sigma2 = 2 * sumSquares(x, xbl, 256) / 256;
            for (int ib = 0; ib < 16; ++ib) {
                int xb = xbl + 16 * ib;
                search.weights(x, xb, weights, 256 * ibl + 16 * ib, sigma2);
                search.foldSigns(x, xb, false);
                if (flavor == Flavor.MAINLINE) search.clearLevels();
                float max = search.maxValue();
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = search.trials(max, 9, max / (2 * Iq2Search.MAX_Q - 1));
                boolean anyOffGrid = !search.onGrid[0] || !search.onGrid[1];
                if (anyOffGrid && scale > 0) scale = search.refit(scale, true);
                if (scale < 0) {
                    scale = -scale;
                    search.flipSigns(255);
                }
                for (int k = 0; k < 2; ++k) {
                    int index = search.finalGridIndex(k);
                    int i8 = 2 * ib + k;
                    out[qs + i8] = (byte) index;
                    out[qh + i8 / 4] |= (byte) ((index >> 8) << 2 * (i8 % 4));
                    out[signs + i8] = (byte) search.signs[k];
                }
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue; // d = 0; the grid indices and signs written stay
            float d = maxScale / 31;
            putHalf(out, o, d * 0.9875f);
            float id = 1 / d;
            for (int ib = 0; ib < 16; ++ib) out[scaleBytes + ib / 2] |= (byte) (search.scaleLevel(id, scales[ib]) << 4 * (ib % 2));
        }
    }
}
