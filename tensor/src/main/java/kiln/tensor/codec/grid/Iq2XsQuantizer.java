package kiln.tensor.codec.grid;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.QuantMath;

import java.util.Arrays;

import static kiln.tensor.codec.BlockCodec.put16;
import static kiln.tensor.codec.BlockCodec.putHalf;
import static kiln.tensor.codec.BlockCodec.sumSquares;

/**
 * IQ2_XS (2.3125 bits per weight): ggml's {@code quantize_row_iq2_xs_impl}. Per 16 values two points of the
 * 512-point grid with 7 sign bits each (one u16: 9-bit index, signs in bits 9..15) and a 4-bit scale; an fp16
 * super-block scale.
 *
 * <p>llama.cpp: 19 trial scales around max/5, then the groups whose levels were off the grid re-rounded at the best
 * scale and the scale refitted; d = max scale/31, asserting importance weights. ik_llama.cpp changed the search
 * ({@link Iq2XsIkSearch}): the first scale is the best split of the sorted values into levels 1, 3, 5; 15 trials around it;
 * up to three re-roundings of both groups while the grid points change and the fit improves; and the super-block
 * scale is refitted at the end ({@code 1.05·Σw·q·x / Σw·q²} over the values as decoded). ik's function also runs
 * without weights ({@code quantize_row_iq2_xs_ref}).
 */
final class Iq2XsQuantizer implements GridCodec.RowQuantizer {
    private static final int BLOCK_BYTES = 74;

    private final Flavor flavor;
    private final Iq2Rounding rounding;

    Iq2XsQuantizer(Flavor flavor) {
        this.flavor = flavor;
        this.rounding = flavor == Flavor.IK ? Iq2Rounding.IK_XS : Iq2Rounding.MAINLINE;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] weights, byte[] out) {
        if (weights == null && flavor == Flavor.MAINLINE) {
            throw new KilnException("IQ2_XS needs importance weights (an imatrix) in llama.cpp's quantizer");
        }
        Iq2Search search = new Iq2Search(GridNeighbours.iq2xs(), rounding, flavor, 16);
        Iq2XsIkSearch ik = flavor == Flavor.IK ? new Iq2XsIkSearch(search) : null;
        float[] scales = new float[16];
        int[] q2 = new int[32];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl;
            Arrays.fill(q2, 0);
            float maxScale = 0;
            float sigma2 = sumSquares(x, xbl, 256) / 256;
            for (int ib = 0; ib < 16; ++ib) {
                int xb = xbl + 16 * ib;
                search.weights(x, xb, weights, 256 * ibl + 16 * ib, sigma2);
                search.foldSigns(x, xb, true);
                if (flavor == Flavor.MAINLINE) search.clearLevels();
                float max = search.maxValue();
                if (max < QuantMath.GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    search.clearLevels();
                    continue;
                }
                float scale = ik != null ? ik.groupScale() : mainlineGroupScale(search, max);
                if (scale < 0) {
                    scale = -scale;
                    search.flipSigns(127);
                }
                for (int k = 0; k < 2; ++k) q2[2 * ib + k] = search.finalGridIndex(k) | search.signs[k] << 9;
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            int o = BLOCK_BYTES * ibl;
            Arrays.fill(out, o, o + BLOCK_BYTES, (byte) 0);
            if (maxScale == 0) continue;
            float d = maxScale / 31;
            putHalf(out, o, d);
            float id = 1 / d;
            int[] scaleLevels = new int[16];
            for (int ib = 0; ib < 16; ++ib) {
                scaleLevels[ib] = search.scaleLevel(id, scales[ib]);
                out[o + 66 + ib / 2] |= (byte) (scaleLevels[ib] << 4 * (ib % 2));
            }
            for (int i = 0; i < 32; ++i) put16(out, o + 2 + 2 * i, q2[i]);
            if (ik != null) {
                float refitted = ik.superBlockScale(x, xbl, weights, 256 * ibl, sigma2, q2, scaleLevels);
                if (!Float.isNaN(refitted)) putHalf(out, o, refitted);
            }
        }
    }

    /** llama.cpp: trials around max/5, then the off-grid groups re-rounded at the best scale. */
    private static float mainlineGroupScale(Iq2Search search, float max) {
        float scale = search.trials(max, 9, max / (2 * Iq2Search.MAX_Q - 1));
        boolean anyOffGrid = !search.onGrid[0] || !search.onGrid[1];
        if (anyOffGrid && scale > 0) scale = search.refit(scale, true);
        return scale;
    }
}
