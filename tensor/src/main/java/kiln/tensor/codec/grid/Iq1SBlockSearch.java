package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

/**
 * ik_llama.cpp's {@code iq1s_process_1block} (mainline: the block loop of {@code quantize_row_iq1_s_impl}): one IQ1_S
 * block of 32 values → its scale, shift (+1 or −1) and 4 grid indices. Shared by {@link Iq1SQuantizer} (8 blocks per
 * super-block) and ik's four-row IQ1_S_R4 ({@link Iq1SR4Quantizer}).
 *
 * <p>ik's binary holds two compilations of {@code iq1s_process_1block} that round differently (read from the
 * disassembly of its {@code ggml-quants.c.o}): the clone {@code quantize_iq1_s} calls ({@code .constprop.0},
 * block_size 32) fuses the last term of both shifts' Σw·q², the out-of-line function that {@code iqk_quantize.cpp}'s
 * {@code quantize_iq1_s_r4} calls fuses it only for the minus shift ({@link #ikOutOfLine()}).
 */
final class Iq1SBlockSearch {
    private static final float EPS = 1e-12f; // GROUP_MAX_EPS_IQ1_S

    private final Flavor flavor;
    private final boolean fused;
    private final boolean fusedPlusSumq2;
    private final float[] sumx = new float[33], sumw = new float[33];
    private final int[] order = new int[32];
    private final byte[] levels = new byte[32];
    /** The block's scale (≥ 0) and shift after {@link #search}. */
    float scale;
    int shift;

    /** The search of {@code flavor}'s {@code quantize_iq1_s}. */
    Iq1SBlockSearch(Flavor flavor) {
        this(flavor, flavor == Flavor.IK);
    }

    private Iq1SBlockSearch(Flavor flavor, boolean fusedPlusSumq2) {
        this.flavor = flavor;
        this.fused = flavor == Flavor.IK;
        this.fusedPlusSumq2 = fusedPlusSumq2;
    }

    /** ik's out-of-line {@code iq1s_process_1block}, as {@code quantize_iq1_s_r4} calls it. */
    static Iq1SBlockSearch ikOutOfLine() {
        return new Iq1SBlockSearch(Flavor.IK, false);
    }

    /** Searches {@code x[xb..xb+32)} with importance {@code weight}; the 4 grid indices go to {@code index}. */
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
                    float sumq2 = GridMath.mulAdd(fused && (s == -1 || fusedPlusSumq2), (sumw[32] - sumw[i2]) * xx[2], xx[2],
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
