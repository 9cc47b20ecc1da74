package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

import java.util.Arrays;

/**
 * The steps ggml's three IQ2 quantizers ({@code quantize_row_iq2_xxs_impl}, {@code quantize_row_iq2_xs_impl},
 * {@code quantize_row_iq2_s_impl}) share, for one group of 32 (IQ2_XXS) or 16 (IQ2_XS, IQ2_S) values: the weights,
 * the values made non-negative with their signs, levels 0..2 per value snapped to the grid 8 values at a time, and
 * the weighted fit Σw·x·q / Σw·q² over q = 2l+1. One object per row being quantized (it holds the work arrays).
 *
 * <p>Field names follow the C: {@code xval}, {@code weight}, {@code waux}, {@code L} ({@link #levels}),
 * {@code Laux} ({@link #trialLevels}), {@code is_on_grid}, {@code block_signs}.
 */
final class Iq2Search {
    /** {@code kMaxQ}: levels 0..kMaxQ-1 per value. */
    static final int MAX_Q = 3;

    final GridNeighbours grid;
    final Iq2Rounding rounding;
    final Flavor flavor;
    final int groupSize;
    final int groups;

    final float[] weight, waux, xval;
    final byte[] levels, trialLevels;
    final boolean[] onGrid, trialOnGrid;
    final int[] gridIndex, trialGridIndex;
    final int[] signs;

    /** The last {@link #fit}: Σw·x·q and Σw·q². */
    float sumqx, sumq2;
    /** {@code best}: scale·Σw·x·q of the best fit so far (0 before any). */
    float best;

    Iq2Search(GridNeighbours grid, Iq2Rounding rounding, Flavor flavor, int groupSize) {
        this.grid = grid;
        this.rounding = rounding;
        this.flavor = flavor;
        this.groupSize = groupSize;
        this.groups = groupSize / 8;
        weight = new float[groupSize];
        waux = new float[groupSize];
        xval = new float[groupSize];
        levels = new byte[groupSize];
        trialLevels = new byte[groupSize];
        onGrid = new boolean[groups];
        trialOnGrid = new boolean[groups];
        gridIndex = new int[groups];
        trialGridIndex = new int[groups];
        signs = new int[groups];
    }

    /**
     * The group's weights and their square roots: {@code qw[i]*sqrtf(sigma2 + x²)} with importance weights
     * ({@code qw} from {@code qwOff}), {@code 0.25f*sigma2 + x²} without ({@code qw} null).
     */
    void weights(float[] x, int xOff, float[] qw, int qwOff, float sigma2) {
        for (int i = 0; i < groupSize; ++i) {
            float xi = x[xOff + i];
            weight[i] = qw != null ? rounding.importanceWeight(qw[qwOff + i], sigma2, xi) : rounding.defaultWeight(sigma2, xi);
        }
        for (int i = 0; i < groupSize; ++i) waux[i] = (float) Math.sqrt(weight[i]);
    }

    /** {@code xval = |x|} and the sign bits of each 8 values ({@link GridSigns#fold}; 7 bits kept with {@code evenParity}). */
    void foldSigns(float[] x, int xOff, boolean evenParity) {
        for (int k = 0; k < groups; ++k) {
            int s = GridSigns.fold(x, xOff + 8 * k, weight, 8 * k, xval, 8 * k, evenParity);
            signs[k] = evenParity ? s & 127 : s;
        }
    }

    /** {@code max(xval)}. */
    float maxValue() {
        float max = xval[0];
        for (int i = 1; i < groupSize; ++i) max = Math.max(max, xval[i]);
        return max;
    }

    /**
     * Levels of group k at inverse scale {@code id} into {@code out}, snapped to the grid: a point of the grid as
     * they are, else the best of the key's neighbours at {@code scale} ({@code iq2_find_best_neighbour}). Returns
     * the grid index; {@code onGridOut[k]} says whether the rounded levels were a grid point.
     */
    int snap(int k, float id, float scale, byte[] out, boolean trial, boolean[] onGridOut) {
        int key = 0;
        for (int i = 0; i < 8; ++i) {
            int l = trial ? rounding.trialLevel(id, xval[8 * k + i], k) : rounding.level(id, xval[8 * k + i]);
            l = Math.max(0, Math.min(MAX_Q - 1, l));
            out[8 * k + i] = (byte) l;
            key |= l << 2 * i;
        }
        int index = grid.gridIndex(key);
        if (onGridOut != null) onGridOut[k] = index >= 0;
        if (index < 0) index = grid.bestNeighbour(key, xval, 8 * k, waux, 8 * k, scale, flavor, out, 8 * k);
        return index;
    }

    /** Σw·x·q and Σw·q² over the group with q = 2l+1 for the given levels, into {@link #sumqx}/{@link #sumq2}. */
    void fit(byte[] l) {
        float qx = 0, q2 = 0;
        for (int i = 0; i < groupSize; ++i) {
            float w = weight[i];
            float q = 2 * l[i] + 1;
            qx = rounding.addQx(qx, w, xval[i], q);
            q2 = rounding.addQ2(q2, w, q);
        }
        sumqx = qx;
        sumq2 = q2;
    }

    /** Whether the last fit beats {@link #best}: {@code sumq2 > 0 && sumqx*sumqx > best*sumq2}. */
    boolean fitBeatsBest() {
        return sumq2 > 0 && sumqx * sumqx > best * sumq2;
    }

    /**
     * The scale trials: inverse scales {@code (5 + is/10)/reference} for is in ±range; the best fit's levels go to
     * {@link #levels} (with {@link #onGrid}, {@link #gridIndex}) and its {@link #best}. Returns the best fit's scale
     * (the given one, and best 0, when no trial fits better; the groups then count as on the grid, index 0).
     */
    float trials(float reference, int range, float scale) {
        best = 0;
        Arrays.fill(onGrid, true);
        Arrays.fill(gridIndex, 0);
        for (int is = -range; is <= range; ++is) {
            float id = rounding.trialInverseScale(is, reference);
            float thisScale = 1 / id;
            for (int k = 0; k < groups; ++k) trialGridIndex[k] = snap(k, id, thisScale, trialLevels, true, trialOnGrid);
            fit(trialLevels);
            if (fitBeatsBest()) {
                scale = sumqx / sumq2;
                best = scale * sumqx;
                System.arraycopy(trialLevels, 0, levels, 0, groupSize);
                System.arraycopy(trialOnGrid, 0, onGrid, 0, groups);
                System.arraycopy(trialGridIndex, 0, gridIndex, 0, groups);
            }
        }
        return scale;
    }

    /**
     * The refit after the trials: groups (all, or only those whose trial levels were off the grid) are rounded
     * again at 1/scale and snapped into {@link #levels}; then the scale is fitted to them ({@code sumqx/sumq2}
     * when {@code sumq2 > 0}).
     */
    float refit(float scale, boolean onlyOffGrid) {
        float id = 1 / scale;
        for (int k = 0; k < groups; ++k) {
            if (onlyOffGrid && onGrid[k]) continue;
            snap(k, id, scale, levels, false, null);
        }
        fit(levels);
        return sumq2 > 0 ? sumqx / sumq2 : scale;
    }

    /** All levels 0 ({@code memset(L, 0, ...)}). */
    void clearLevels() {
        Arrays.fill(levels, (byte) 0);
    }

    /** A negative scale: every sign flipped ({@code ~block_signs}, 7 or 8 bits). */
    void flipSigns(int mask) {
        for (int k = 0; k < groups; ++k) signs[k] = ~signs[k] & mask;
    }

    /** The grid index of group k's final levels ({@code kmap_q2xs[u]}); they are always a grid point. */
    int finalGridIndex(int k) {
        int key = 0;
        for (int i = 0; i < 8; ++i) key |= levels[8 * k + i] << 2 * i;
        int index = key < GridNeighbours.IQ2_MAP_SIZE ? grid.gridIndex(key) : -1;
        if (index < 0) throw new IllegalStateException("IQ2 levels off the grid: " + key);
        return index;
    }

    /** {@code nearest_int(0.5f*(id*scale - 1))} clamped to 0..15: a group's 4-bit scale. */
    int scaleLevel(float id, float scale) {
        return Math.max(0, Math.min(15, rounding.level(id, scale)));
    }
}
