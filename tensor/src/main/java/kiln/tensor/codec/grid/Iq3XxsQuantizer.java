package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

import java.util.Arrays;

import static kiln.tensor.codec.BlockCodec.put32;
import static kiln.tensor.codec.BlockCodec.putHalf;

/**
 * {@code quantize_iq3_xxs} ({@code quantize_row_iq3_xxs_impl} with grid size 256) of llama.cpp or ik_llama.cpp
 * (the same algorithm; ik rounds with FMA, see {@link GridMath}). Per block of 32: 8 grid indices and a u32 of 4×7
 * sign bits (each group of 8 holds an even number of minus signs: the value of least w·x² flips when the count is
 * odd) with a 4-bit scale on top; one fp16 super-block scale {@code max/31 · 1.0125}.
 */
final class Iq3XxsQuantizer extends FlavoredRowQuantizer {

    private static final int BLOCK_BYTES = 98;
    private static final float EPS = 1e-8f; // GROUP_MAX_EPS_IQ3_XXS

    Iq3XxsQuantizer(Flavor flavor) {
        super(flavor);
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] quantWeights, byte[] out) {
        Iq3SubBlockSearch search = Iq3SubBlockSearch.iq3xxs(flavor);
        float[] weight = new float[32], waux = new float[32], xval = new float[32], scales = new float[8];
        int[] signs = new int[8];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl, y = BLOCK_BYTES * ibl;
            float sigma2 = GridMath.sigma2(x, xbl);
            float maxScale = 0;
            for (int ib = 0; ib < 8; ++ib) {
                int xb = xbl + 32 * ib;
                for (int i = 0; i < 32; ++i) {
                    weight[i] = GridMath.importance(fused, quantWeights, 256 * ibl + 32 * ib + i, sigma2, x[xb + i]);
                    waux[i] = (float) Math.sqrt(weight[i]);
                }
                int blockSigns = evenSigns(x, xb, weight, xval);
                float max = xval[0];
                for (int i = 1; i < 32; ++i) max = GridMath.cMax(max, xval[i]);
                if (max < EPS) {
                    search.clear();
                    scales[ib] = 0;
                    signs[ib] = 0;
                    for (int k = 0; k < 8; ++k) out[y + 2 + 8 * ib + k] = 0;
                    continue;
                }
                float scale = search.search(xval, weight, waux, max);
                if (scale < 0) { // "should never happen" in ggml: flip the scale and the signs
                    scale = -scale;
                    blockSigns = ~blockSigns & 0x0FFFFFFF;
                }
                for (int k = 0; k < 8; ++k) out[y + 2 + 8 * ib + k] = (byte) search.index[k];
                signs[ib] = blockSigns;
                scales[ib] = scale;
                maxScale = GridMath.cMax(maxScale, scale);
            }
            if (maxScale == 0) {
                Arrays.fill(out, y, y + BLOCK_BYTES, (byte) 0);
                continue;
            }
            float d = maxScale / 31;
            putHalf(out, y, d * 1.0125f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ++ib) {
                int l = Math.max(0, Math.min(15, GridMath.nearestOddLevel(fused, id, scales[ib])));
                put32(out, y + 66 + 4 * ib, signs[ib] | l << 28);
            }
        }
    }

    /** |x| of one block of 32 into {@code xval} and the 4×7 sign bits of its groups of 8 ({@link GridSigns#fold}, even parity). */
    private static int evenSigns(float[] x, int xb, float[] weight, float[] xval) {
        int packed = 0;
        for (int k = 0; k < 4; ++k) packed |= (GridSigns.fold(x, xb + 8 * k, weight, 8 * k, xval, 8 * k, true) & 127) << 7 * k;
        return packed;
    }
}
