package kiln.tensor.codec.grid;

import java.util.Arrays;

/**
 * ik_llama.cpp's search for IQ2_XS ({@code quantize_row_iq2_xs_impl} in its ggml-quants.c), which replaced llama.cpp's:
 * the first scale is the best split of the group's values, sorted, into levels 1, 3, 5; 15 trial scales around it; up
 * to three re-roundings of both groups while a grid point changes and the fit improves; and the super-block scale
 * refitted over the values as they decode. Roundings as ik's build performs them ({@link Iq2Rounding#IK_XS}; the
 * prefix sums, the split fits and the refit are fused multiply-adds).
 */
final class Iq2XsIkSearch {
    private final Iq2Search search;
    private final Integer[] order = new Integer[16];
    private final float[] sumX = new float[17], sumW = new float[17];

    Iq2XsIkSearch(Iq2Search search) {
        this.search = search;
    }

    /** The group's scale; its levels in {@code search.levels}. */
    float groupScale() {
        float scale = splitScale();
        float effMax = scale * (2 * Iq2Search.MAX_Q - 1);
        scale = search.trials(effMax, 7, scale);
        if (scale != 0) scale = rerounded(scale);
        return scale;
    }

    /**
     * The best scale for levels 1, 3, 5 assigned to the values sorted ascending (glibc's stable merge sort) and
     * cut at every i1 ≤ i2: Σw·x·q / Σw·q² from prefix sums.
     */
    private float splitScale() {
        float[] xval = search.xval, weight = search.weight;
        for (int j = 0; j < 16; ++j) order[j] = j;
        Arrays.sort(order, (a, b) -> xval[a] < xval[b] ? -1 : xval[a] > xval[b] ? 1 : 0);
        sumX[0] = sumW[0] = 0;
        for (int j = 0; j < 16; ++j) {
            int i = order[j];
            sumX[j + 1] = Math.fma(weight[i], xval[i], sumX[j]);
            sumW[j + 1] = sumW[j] + weight[i];
        }
        float best = 0, scale = 0;
        for (int i1 = 0; i1 <= 16; ++i1) {
            for (int i2 = i1; i2 <= 16; ++i2) {
                float sumqx = Math.fma(sumX[16] - sumX[i2], 5, Math.fma(sumX[i2] - sumX[i1], 3, sumX[i1]));
                float sumq2 = Math.fma(sumW[16] - sumW[i2], 25, Math.fma(sumW[i2] - sumW[i1], 9, sumW[i1]));
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    scale = sumqx / sumq2;
                    best = scale * sumqx;
                }
            }
        }
        return scale;
    }

    /** Up to three re-roundings of both groups at 1/scale, kept while a grid point changes and the fit improves. */
    private float rerounded(float scale) {
        for (int iter = 0; iter < 3; ++iter) {
            float id = 1 / scale;
            boolean changed = false;
            for (int k = 0; k < 2; ++k) {
                search.trialGridIndex[k] = search.snap(k, id, scale, search.trialLevels, false, null);
                if (search.trialGridIndex[k] != search.gridIndex[k]) changed = true;
            }
            if (!changed) break;
            search.fit(search.trialLevels);
            if (!search.fitBeatsBest()) break;
            scale = search.sumqx / search.sumq2;
            search.best = scale * search.sumqx;
            System.arraycopy(search.trialLevels, 0, search.levels, 0, 16);
            System.arraycopy(search.trialGridIndex, 0, search.gridIndex, 0, 2);
        }
        return scale;
    }

    /**
     * {@code 1.05f·Σw·q·x / Σw·q²} over the super-block as it decodes (q = 0.125·(2l+1)·grid value·sign), the
     * weights recomputed; NaN when Σw·q² is not positive (d then stays max/31).
     */
    float superBlockScale(float[] x, int xbl, float[] qw, int qwOff, float sigma2, int[] q2, int[] scaleLevels) {
        float sumqx = 0, sumq2 = 0;
        Iq2Rounding r = search.rounding;
        for (int ib = 0; ib < 16; ++ib) {
            int l = 2 * scaleLevels[ib] + 1;
            float step = 0.125f * l;
            int xb = xbl + 16 * ib;
            for (int k = 0; k < 2; ++k) {
                int index = q2[2 * ib + k] & 511;
                int signs = Grids.SIGNS[q2[2 * ib + k] >>> 9] & 0xFF;
                for (int j = 0; j < 8; ++j) {
                    float xi = x[xb + 8 * k + j];
                    float w = qw != null ? r.importanceWeight(qw[qwOff + 16 * ib + 8 * k + j], sigma2, xi) : r.defaultWeight(sigma2, xi);
                    int g = Grids.IQ2_XS[8 * index + j];
                    float q = step * ((signs & (1 << j)) != 0 ? -g : g);
                    sumqx = Math.fma(w * q, xi, sumqx);
                    sumq2 = Math.fma(w * q, q, sumq2);
                }
            }
        }
        return sumq2 > 0 ? 1.05f * sumqx / sumq2 : Float.NaN;
    }
}
