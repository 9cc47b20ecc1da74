package kiln.tensor.codec.grid;


/**
 * ik_llama.cpp's {@code quantize_iq1_m_r4} for one group of 4 rows: per row and block of 32 the weights of
 * {@link Iq1R4Weights} (the imatrix fallback taken per half of 16), then IQ1_M's block search
 * ({@link Iq1MCumulativeSearch}, ik's {@code iq1m_process_1block}) on each half of 16 whose Σx² exceeds 1e-14 (a
 * quieter half: scale 0, grid point 1029 twice); an all-zero block is grid point 1029 four times. Each row's fp16
 * scale is {@code 1.0625·max/15}, each half's 4-bit scale {@code nearest_int(scale·15/max)} (product fused into the
 * rounding, as ik's binary computes it). Importance weights are optional.
 *
 * <p>ik's quirk, kept: a half skipped as quiet inside a block that is not all zero takes the shift pattern of the
 * last half searched before it in the same call (ik's {@code shift1}/{@code shift2} are not reset; a Kiln call is one
 * group, so the state starts at pattern 0 per group, whereas ik's carries over a whole chunk of groups and starts
 * uninitialised).
 */
final class Iq1MR4Quantizer implements Iq1R4Codec.GroupQuantizer {
    static final int BLOCK_BYTES = 28;
    private static final int ZERO_POINT = 1029; // the grid entry of all zeros
    private static final int[] MASKS = {0x00, 0x80, 0x08, 0x88};

    @Override
    public void quantize(float[] x, int xOff, int nPerRow, float[] imatrix, byte[] out) {
        int nblock = nPerRow / 32;
        float[] weight = new float[32], high = new float[16], scales = new float[8 * nblock], max = new float[4];
        int[] index = new int[4], shift = new int[2];
        Iq1MCumulativeSearch search = new Iq1MCumulativeSearch();
        for (int ibl = 0; ibl < nblock; ++ibl) {
            int y = 8 + BLOCK_BYTES * ibl;
            for (int k = 0; k < 4; ++k) {
                int xb = xOff + k * nPerRow + 32 * ibl;
                float sumx2l = Iq1R4Weights.sumSquares(x, xb, 16), sumx2h = Iq1R4Weights.sumSquares(x, xb + 16, 16);
                float sumx2 = sumx2l + sumx2h;
                java.util.Arrays.fill(index, ZERO_POINT);
                if (sumx2 < 1e-14f) {
                    putIndices(index, out, y, k);
                    continue;
                }
                weights(x, xb, Iq1R4Weights.sigma2(sumx2), imatrix, 32 * ibl, weight);
                System.arraycopy(weight, 16, high, 0, 16);
                if (sumx2l > 1e-14f) half(search, x, xb, weight, 0, index, shift, scales, 8 * ibl + 2 * k);
                if (sumx2h > 1e-14f) half(search, x, xb + 16, high, 1, index, shift, scales, 8 * ibl + 2 * k + 1);
                max[k] = GridMath.stdMax(max[k], GridMath.stdMax(scales[8 * ibl + 2 * k], scales[8 * ibl + 2 * k + 1]));
                putIndices(index, out, y, k);
                out[y + 16 + k] |= (byte) MASKS[shift[0]];
                out[y + 20 + k] |= (byte) MASKS[shift[1]];
            }
        }
        float[] invd = Iq1R4Codec.putRowScales(max, out);
        for (int ibl = 0; ibl < nblock; ++ibl) {
            for (int k = 0; k < 4; ++k) {
                int ls1 = Math.max(0, Math.min(15, GridMath.nearestIntFused(scales[8 * ibl + 2 * k], invd[k])));
                int ls2 = Math.max(0, Math.min(15, GridMath.nearestIntFused(scales[8 * ibl + 2 * k + 1], invd[k])));
                out[8 + BLOCK_BYTES * ibl + 24 + k] = (byte) (ls1 | ls2 << 4);
            }
        }
    }

    /**
     * The block's weights: with an imatrix, each half whose {@code Σ w·|x|} is below 1e-14 falls back to the plain
     * weights (ik tests the first half against {@code 1e-14f}, the second against the double {@code 1e-14}).
     */
    private static void weights(float[] x, int xb, float sigma2, float[] imatrix, int wOff, float[] weight) {
        if (imatrix == null) {
            Iq1R4Weights.plain(x, xb, sigma2, weight, 0, 32);
            return;
        }
        Iq1R4Weights.imatrix(x, xb, sigma2, imatrix, wOff, weight);
        if (Iq1R4Weights.sumWeightedAbs(x, xb, weight, 0, 16) < 1e-14f) Iq1R4Weights.plain(x, xb, sigma2, weight, 0, 16);
        if ((double) Iq1R4Weights.sumWeightedAbs(x, xb, weight, 16, 32) < 1e-14) {
            Iq1R4Weights.plain(x, xb, sigma2, weight, 16, 32);
        }
    }

    /** Searches half h (16 values at {@code x[xb]}) into indices {@code 2h, 2h+1}, its shift and its scale. */
    private static void half(Iq1MCumulativeSearch search, float[] x, int xb, float[] weight, int h, int[] index,
                             int[] shift, float[] scales, int s) {
        if (!search.search(x, xb, weight)) return; // no split scores (ik aborts): left as a quiet half
        index[2 * h] = search.index[0];
        index[2 * h + 1] = search.index[1];
        shift[h] = search.shift;
        scales[s] = search.scale;
    }

    /** Row k's 4 grid indices: low bytes to {@code qs[4i+k]}, high bits of each half's pair to {@code qh[4i+k]}. */
    private static void putIndices(int[] index, byte[] out, int y, int k) {
        for (int i = 0; i < 4; ++i) out[y + 4 * i + k] = (byte) index[i];
        for (int i = 0; i < 2; ++i) out[y + 16 + 4 * i + k] = (byte) ((index[2 * i] >> 8) | (index[2 * i + 1] >> 8) << 4);
    }
}
