package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

import java.util.Arrays;

/**
 * The search for one block of 32 values shared by {@code quantize_row_iq3_xxs_impl} and
 * {@code quantize_row_iq3_s_impl}: given |x| ({@code xval}), the importance {@code weight} and its square root, try
 * the scales {@code (15 + is·0.2)/max} for {@code is} in ±{@code steps}, map each 4-tuple of levels to the grid
 * (off-grid tuples to their best neighbour), keep the least-squares scale of the best try, then map the off-grid
 * points again at that scale and refit it. Leaves the 8 grid indices in {@link #index} and returns the scale.
 *
 * <p>The two functions and the two tools differ in details this class takes as settings: IQ3_S maps every point
 * again in the refit (its {@code if (is_on_grid[k]) continue;} is commented out), IQ3_XXS only the off-grid ones;
 * when no try succeeds (all weights of the block zero), mainline's IQ3_XXS falls back to levels 0 with every point
 * "on the grid", ik's keeps the levels and on-grid flags of the previous block (it neither clears nor initialises
 * them), and IQ3_S (both tools) maps every point at max/15.
 */
final class Iq3SubBlockSearch {

    private static final int MAX_LEVEL = 7;

    private final GridNeighbours grid;
    private final Flavor flavor;
    private final int steps;
    private final boolean remapsEveryPoint;
    private final boolean fused;
    private final boolean keepsPreviousOnFailure;

    private final byte[] levels = new byte[32];
    private final byte[] trial = new byte[32];
    private final boolean[] onGrid = new boolean[8];
    private final boolean[] trialOnGrid = new boolean[8];
    /** The grid index of each of the 8 points after {@link #search}. */
    final int[] index = new int[8];

    private Iq3SubBlockSearch(GridNeighbours grid, int steps, boolean remapsEveryPoint, Flavor flavor,
                              boolean keepsPreviousOnFailure) {
        this.grid = grid;
        this.flavor = flavor;
        this.steps = steps;
        this.remapsEveryPoint = remapsEveryPoint;
        this.fused = flavor == Flavor.IK;
        this.keepsPreviousOnFailure = keepsPreviousOnFailure;
        Arrays.fill(onGrid, true);
    }

    /** IQ3_XXS's search ({@code is} in ±15) as one tool runs it. */
    static Iq3SubBlockSearch iq3xxs(Flavor flavor) {
        return new Iq3SubBlockSearch(GridNeighbours.iq3xxs(), 15, false, flavor, flavor == Flavor.IK);
    }

    /** IQ3_S's search ({@code is} in ±9, every point mapped again in the refit). */
    static Iq3SubBlockSearch iq3s(Flavor flavor) {
        return new Iq3SubBlockSearch(GridNeighbours.iq3s(), 9, true, flavor, false);
    }

    /** Searches the block whose |x|, importance and √importance are {@code xval}, {@code weight}, {@code waux}. */
    float search(float[] xval, float[] weight, float[] waux, float max) {
        if (!keepsPreviousOnFailure) {
            Arrays.fill(levels, (byte) 0);
            Arrays.fill(onGrid, !remapsEveryPoint);
        }
        float best = 0;
        float scale = max / (2 * MAX_LEVEL + 1);
        for (int is = -steps; is <= steps; ++is) {
            float id = GridMath.mulAdd(fused, is, 0.2f, 2 * MAX_LEVEL + 1) / max;
            float thisScale = 1 / id;
            for (int k = 0; k < 8; ++k) {
                for (int i = 0; i < 4; ++i) {
                    int l = GridMath.nearestOddLevel(fused, id, xval[4 * k + i]);
                    trial[4 * k + i] = (byte) Math.max(0, Math.min(MAX_LEVEL, l));
                }
                int u = key(trial, 4 * k);
                trialOnGrid[k] = grid.gridIndex(u) >= 0;
                if (!trialOnGrid[k]) grid.bestNeighbour(u, xval, 4 * k, waux, 4 * k, thisScale, flavor, trial, 4 * k);
            }
            float sumqx = 0, sumq2 = 0;
            for (int i = 0; i < 32; ++i) {
                float w = weight[i];
                float q = 2 * trial[i] + 1;
                sumqx = GridMath.mulAdd(fused, w * xval[i], q, sumqx);
                sumq2 = GridMath.mulAdd(fused, w * q, q, sumq2);
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                scale = sumqx / sumq2;
                best = scale * sumqx;
                System.arraycopy(trial, 0, levels, 0, 32);
                System.arraycopy(trialOnGrid, 0, onGrid, 0, 8);
            }
        }
        int offGrid = 0;
        for (int k = 0; k < 8; ++k) if (!onGrid[k]) ++offGrid;
        if (offGrid > 0 && scale > 0) {
            float id = 1 / scale;
            for (int k = 0; k < 8; ++k) {
                if (onGrid[k] && !remapsEveryPoint) continue;
                int u = 0;
                for (int i = 0; i < 4; ++i) {
                    int l = GridMath.nearestOddLevel(fused, id, xval[4 * k + i]);
                    u |= Math.max(0, Math.min(MAX_LEVEL, l)) << 3 * i;
                }
                int gridIndex = grid.gridIndex(u);
                if (gridIndex < 0) gridIndex = grid.bestNeighbour(u, xval, 4 * k, waux, 4 * k, scale, flavor, levels, 4 * k);
                for (int i = 0; i < 4; ++i) levels[4 * k + i] = (byte) ((grid.position(gridIndex, i) - 1) / 2);
            }
            float sumqx = 0, sumq2 = 0;
            for (int i = 0; i < 32; ++i) {
                float w = weight[i];
                float q = 2 * levels[i] + 1;
                sumqx = GridMath.mulAdd(fused, w * xval[i], q, sumqx);
                sumq2 = GridMath.mulAdd(fused, w * q, q, sumq2);
            }
            if (sumq2 > 0) scale = sumqx / sumq2;
        }
        for (int k = 0; k < 8; ++k) {
            index[k] = grid.gridIndex(key(levels, 4 * k));
            if (index[k] < 0) throw new IllegalStateException("IQ3 search left point " + k + " off the grid");
        }
        return scale;
    }

    /** The 12-bit key of levels {@code L[off..off+4)} (level i in bits 3i..3i+2). */
    private static int key(byte[] L, int off) {
        int u = 0;
        for (int i = 0; i < 4; ++i) u |= L[off + i] << 3 * i;
        return u;
    }

    /** A block whose values are all (nearly) zero: levels 0, as both tools clear them before skipping it. */
    void clear() {
        Arrays.fill(levels, (byte) 0);
    }
}
