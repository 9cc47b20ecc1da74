package kiln.tensor.codec.grid;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.QuantMath;
import kiln.tensor.codec.ik.IkQkxQuants;

import static kiln.tensor.codec.BlockCodec.put32;
import static kiln.tensor.codec.BlockCodec.putHalf;
import static kiln.tensor.codec.BlockCodec.sumSquares;

/**
 * IQ2_XXS (2.0625 bits per weight): ggml's {@code quantize_row_iq2_xxs_impl}, llama.cpp's or ik_llama.cpp's. Per 32
 * values a scale fitted by {@code make_qp_quants} and refined over 13 trial scales, 4 points of the 256-point grid
 * (one byte each) and 4×7 sign bits; a 4-bit scale per 32 values under an fp16 super-block scale max/31.
 *
 * <p>llama.cpp asserts importance weights; ik's function also runs without them (weights {@code 0.25·σ² + x²}, what
 * {@code quantize_row_iq2_xxs_ref} does; its llama-quantize still requires an imatrix). ik drops mainline's
 * {@code eff_max <= 0} guard, uses its own {@code make_qp_quants} (threshold 1e-16, no {@code suml2 > 0} guard) and
 * fuses as {@link Iq2Rounding#IK_XXS} says.
 */
final class Iq2XxsQuantizer implements GridCodec.RowQuantizer {
    private static final int BLOCK_BYTES = 66;

    private final Flavor flavor;
    private final Iq2Rounding rounding;

    Iq2XxsQuantizer(Flavor flavor) {
        this.flavor = flavor;
        this.rounding = flavor == Flavor.IK ? Iq2Rounding.IK_XXS : Iq2Rounding.MAINLINE;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] weights, byte[] out) {
        if (weights == null && flavor == Flavor.MAINLINE) {
            throw new KilnException("IQ2_XXS needs importance weights (an imatrix) in llama.cpp's quantizer");
        }
        Iq2Search search = new Iq2Search(GridNeighbours.iq2xxs(), rounding, flavor, 32);
        float[] scales = new float[8];
        int[] q2 = new int[16];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl;
            java.util.Arrays.fill(q2, 0);
            float maxScale = 0;
            float sigma2 = sumSquares(x, xbl, 256) / 256;
            for (int ib = 0; ib < 8; ++ib) {
                int xb = xbl + 32 * ib;
                search.weights(x, xb, weights, 256 * ibl + 32 * ib, sigma2);
                search.foldSigns(x, xb, true);
                float scale = groupScale(search);
                if (Float.isNaN(scale)) {
                    scales[ib] = 0;
                    search.clearLevels();
                    continue;
                }
                if (scale < 0) {
                    scale = -scale;
                    search.flipSigns(127);
                }
                for (int k = 0; k < 4; ++k) {
                    q2[2 * ib] |= search.finalGridIndex(k) << 8 * k;
                    q2[2 * ib + 1] |= search.signs[k] << 7 * k;
                }
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            int o = BLOCK_BYTES * ibl;
            float d = maxScale / 31;
            putHalf(out, o, maxScale == 0 ? 0 : d);
            if (maxScale == 0) java.util.Arrays.fill(q2, 0);
            else {
                float id = 1 / d;
                for (int ib = 0; ib < 8; ++ib) q2[2 * ib + 1] |= search.scaleLevel(id, scales[ib]) << 28;
            }
            for (int i = 0; i < 16; ++i) put32(out, o + 2 + 4 * i, q2[i]);
        }
    }

    /**
     * The group's scale, its levels left in {@code search.levels}; NaN for a group skipped as all zero (max below
     * {@code GROUP_MAX_EPS}, or in llama.cpp a non-positive {@code make_qp_quants} scale).
     */
    private float groupScale(Iq2Search search) {
        if (search.maxValue() < QuantMath.GROUP_MAX_EPS) return Float.NaN;
        float scale = flavor == Flavor.IK
                ? IkQkxQuants.makeQp(32, Iq2Search.MAX_Q + 1, search.xval, search.levels, search.weight, false)
                : QuantMath.makeQpQuants(32, Iq2Search.MAX_Q + 1, search.xval, 0, search.levels, 0, search.weight, 0);
        float effMax = scale * Iq2Search.MAX_Q;
        if (flavor == Flavor.MAINLINE && effMax <= 0) return Float.NaN;
        scale = search.trials(effMax, 6, scale);
        if (scale > 0) scale = search.refit(scale, false);
        return scale;
    }
}
