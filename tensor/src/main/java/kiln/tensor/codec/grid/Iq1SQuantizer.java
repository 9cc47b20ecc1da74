package kiln.tensor.codec.grid;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;

import static kiln.tensor.codec.BlockCodec.put16;
import static kiln.tensor.codec.BlockCodec.putHalf;
import static kiln.tensor.codec.BlockCodec.u16;

/**
 * {@code quantize_iq1_s} of llama.cpp ({@code quantize_row_iq1_s_impl}) or ik_llama.cpp (the same with the block
 * search moved into {@code iq1s_process_1block}; ik starts the best score at −FLT_MIN instead of −FLT_MAX and
 * rounds with FMA, see {@link GridMath}). Importance weights are required. Per block of 32: the exact weighted
 * least-squares split of the sorted values into levels −1, 0, 1 for both shifts (±IQ1S_DELTA), each group of 8
 * mapped to the 2048-point grid (off-grid groups to their best neighbour, then the scale refitted); 4 grid indices,
 * a u16 with their high bits, a 3-bit scale and the shift's sign; one fp16 super-block scale {@code max/15 · 1.125}.
 */
final class Iq1SQuantizer implements GridCodec.RowQuantizer {

    private static final int BLOCK_BYTES = 50;
    private static final float EPS = 1e-12f; // GROUP_MAX_EPS_IQ1_S

    private final Flavor flavor;
    private final boolean fused;

    Iq1SQuantizer(Flavor flavor) {
        this.flavor = flavor;
        this.fused = flavor == Flavor.IK;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] quantWeights, byte[] out) {
        if (quantWeights == null) throw new KilnException("cannot quantize to iq1_s without importance weights: pass an imatrix");
        float[] weight = new float[32], scales = new float[8];
        int[] shifts = new int[8], index = new int[4];
        Block block = new Block();
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl, y = BLOCK_BYTES * ibl;
            float sigma2 = GridMath.sigma2(x, xbl);
            float maxScale = 0;
            for (int ib = 0; ib < 8; ++ib) {
                int xb = xbl + 32 * ib;
                for (int i = 0; i < 32; ++i) {
                    weight[i] = GridMath.importance(fused, quantWeights, 256 * ibl + 32 * ib + i, sigma2, x[xb + i]);
                }
                block.search(x, xb, weight, index);
                int h = 0;
                for (int k = 0; k < 4; ++k) {
                    out[y + 2 + 4 * ib + k] = (byte) index[k];
                    h |= (index[k] >> 8) << 3 * k;
                }
                put16(out, y + 34 + 2 * ib, h);
                scales[ib] = block.scale;
                shifts[ib] = block.shift;
                maxScale = GridMath.cMax(maxScale, block.scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 15;
            putHalf(out, y, d * 1.125f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ++ib) {
                int l = Math.max(0, Math.min(7, GridMath.nearestOddLevel(fused, id, scales[ib])));
                if (shifts[ib] == -1) l |= 8;
                int q = y + 34 + 2 * ib;
                put16(out, q, u16(out, q) | l << 12);
            }
        }
    }

    /** One block of 32: its scale, shift (+1 or −1) and 4 grid indices. */
    private final class Block {
        final float[] sumx = new float[33], sumw = new float[33];
        final int[] order = new int[32];
        final byte[] levels = new byte[32];
        float scale;
        int shift;

        void search(float[] x, int xb, float[] weight, int[] index) {
            float max = Math.abs(x[xb]);
            for (int i = 1; i < 32; ++i) max = GridMath.cMax(max, Math.abs(x[xb + i]));
            if (max < EPS) {
                empty(index);
                return;
            }
            Iq1Search.sortAscending(x, xb, 32, order);
            sumx[0] = sumw[0] = 0;
            for (int j = 0; j < 32; ++j) {
                int i = order[j];
                sumx[j + 1] = GridMath.mulAdd(fused, weight[i], x[xb + i], sumx[j]);
                sumw[j + 1] = sumw[j] + weight[i];
            }
            float bestScore = flavor == Flavor.IK ? -Float.MIN_NORMAL : -Float.MAX_VALUE;
            scale = max;
            int besti1 = -1, besti2 = -1, bestShift = 0;
            for (int i1 = 0; i1 <= 32; ++i1) {
                for (int i2 = i1; i2 <= 32; ++i2) {
                    for (int s = 1; s >= -1; s -= 2) {
                        float[] xx = s == 1 ? Iq1Search.PLUS : Iq1Search.MINUS;
                        float sumqx = GridMath.mulAdd(fused, sumx[32] - sumx[i2], xx[2],
                                (sumx[i1] - sumx[0]) * xx[0] + (sumx[i2] - sumx[i1]) * xx[1]);
                        float sumq2 = GridMath.mulAdd(fused, (sumw[32] - sumw[i2]) * xx[2], xx[2],
                                (sumw[i1] - sumw[0]) * xx[0] * xx[0] + (sumw[i2] - sumw[i1]) * xx[1] * xx[1]);
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2) {
                            scale = sumqx / sumq2;
                            bestScore = scale * sumqx;
                            besti1 = i1;
                            besti2 = i2;
                            bestShift = s;
                        }
                    }
                }
            }
            if (besti1 < 0 || besti2 < 0 || bestShift == 0) { // all weights zero: mainline's fallback (ik aborts)
                empty(index);
                return;
            }
            for (int j = 0; j < 32; ++j) levels[order[j]] = (byte) (j < besti1 ? 0 : j < besti2 ? 1 : 2);
            if (scale < 0) {
                for (int j = 0; j < 32; ++j) levels[j] = (byte) (2 - levels[j]);
                scale = -scale;
                bestShift = -bestShift;
            }
            float[] xx = bestShift == 1 ? Iq1Search.PLUS : Iq1Search.MINUS;
            GridNeighbours grid = GridNeighbours.iq1();
            boolean allOnGrid = Iq1Search.mapToGrid(levels, 4, x, xb, weight, scale, new float[][] {xx, xx, xx, xx}, fused, index);
            if (!allOnGrid) {
                float sumqx = 0, sumq2 = 0;
                for (int k = 0; k < 4; ++k) {
                    for (int j = 0; j < 8; ++j) {
                        float w = weight[8 * k + j];
                        float q = xx[Iq1Search.level(grid, index[k], j)];
                        sumqx = GridMath.mulAdd(fused, w * q, x[xb + 8 * k + j], sumqx);
                        sumq2 = GridMath.mulAdd(fused, w * q, q, sumq2);
                    }
                }
                if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
            }
            shift = bestShift;
        }

        /** An all-zero block: scale 0, shift +1, grid point 0 (levels 1, as ggml's {@code memset(L, 1, …)}). */
        private void empty(int[] index) {
            scale = 0;
            shift = 1;
            java.util.Arrays.fill(index, 0);
        }
    }
}
