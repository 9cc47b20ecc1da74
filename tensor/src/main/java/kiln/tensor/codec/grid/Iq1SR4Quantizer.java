package kiln.tensor.codec.grid;

import static kiln.tensor.codec.BlockCodec.put16;
import static kiln.tensor.codec.BlockCodec.u16;

/**
 * ik_llama.cpp's {@code quantize_iq1_s_r4} for one group of 4 rows: per row and block of 32, the weights of
 * {@link Iq1R4Weights} and IQ1_S's block search ({@link Iq1SBlockSearch#ikOutOfLine()}, ik's {@code iq1s_process_1block} as compiled out of line); an
 * all-zero block (Σx² &lt; 1e-14) is grid point 1029 (all zeros) with scale 0. Each row's fp16 scale is
 * {@code 1.0625·max/15}, each block's 3-bit scale {@code nearest_int(0.5·(scale·15/max − 1))} (the product and the
 * −1 fused, as ik's binary computes it). Importance weights are optional.
 */
final class Iq1SR4Quantizer implements Iq1R4Codec.GroupQuantizer {
    static final int BLOCK_BYTES = 24;
    private static final int ZERO_POINT = 1029; // the grid entry of all zeros

    @Override
    public void quantize(float[] x, int xOff, int nPerRow, float[] imatrix, byte[] out) {
        int nblock = nPerRow / 32;
        float[] weight = new float[32], scales = new float[4 * nblock], max = new float[4];
        int[] index = new int[4];
        Iq1SBlockSearch search = Iq1SBlockSearch.ikOutOfLine();
        for (int ibl = 0; ibl < nblock; ++ibl) {
            int y = 8 + BLOCK_BYTES * ibl;
            for (int k = 0; k < 4; ++k) {
                int xb = xOff + k * nPerRow + 32 * ibl;
                float sumx2 = Iq1R4Weights.sumSquares(x, xb, 32);
                if (sumx2 < 1e-14f) {
                    java.util.Arrays.fill(index, ZERO_POINT);
                    putIndices(index, 1, out, y, k);
                    continue;
                }
                float sigma2 = Iq1R4Weights.sigma2(sumx2);
                boolean haveImatrix = imatrix != null;
                if (haveImatrix) {
                    Iq1R4Weights.imatrix(x, xb, sigma2, imatrix, 32 * ibl, weight);
                    // "Found block with mismatching importance/model weights": ignore the imatrix
                    if (Iq1R4Weights.sumWeightedAbs(x, xb, weight, 0, 32) < 1e-14f) haveImatrix = false;
                }
                if (!haveImatrix) Iq1R4Weights.plain(x, xb, sigma2, weight, 0, 32);
                search.search(x, xb, weight, index);
                scales[4 * ibl + k] = search.scale;
                max[k] = GridMath.stdMax(max[k], search.scale);
                putIndices(index, search.shift, out, y, k);
            }
        }
        float[] invd = Iq1R4Codec.putRowScales(max, out);
        for (int ibl = 0; ibl < nblock; ++ibl) {
            for (int k = 0; k < 4; ++k) {
                int ls = Math.max(0, Math.min(7, GridMath.nearestOddLevel(true, invd[k], scales[4 * ibl + k])));
                int q = 8 + BLOCK_BYTES * ibl + 16 + 2 * k;
                put16(out, q, u16(out, q) | ls << 12);
            }
        }
    }

    /** Row k's 4 grid indices: low bytes to {@code qs[4i+k]}, high bits and the shift's sign to {@code qh[k]}. */
    private static void putIndices(int[] index, int shift, byte[] out, int y, int k) {
        int h = 0;
        for (int i = 0; i < 4; ++i) {
            out[y + 4 * i + k] = (byte) index[i];
            h |= (index[i] >> 8) << 3 * i;
        }
        if (shift < 0) h |= 0x8000;
        put16(out, y + 16 + 2 * k, h);
    }
}
