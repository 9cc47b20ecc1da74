package kiln.tensor.codec.grid;

/**
 * What IQ1_S and IQ1_M share in ggml-quants.c: the two level sets of a shifted 1-bit grid point ({@code x_p} and
 * {@code x_m}: −1, 0, 1 moved by ±{@code IQ1S_DELTA}), the ascending order of a block's values
 * ({@code iq1_sort_helper} under glibc's {@code qsort}, a stable merge sort: equal values keep their order), the
 * 16-bit key of 8 levels, and {@code iq1_find_best_neighbour2} over the 2048-point grid ({@link GridNeighbours#iq1()}).
 */
final class Iq1Search {
    private Iq1Search() {}

    /** {@code x_p}: the levels of a point shifted up by IQ1S_DELTA (0.125). */
    static final float[] PLUS = {-1 + Iq1Decoders.DELTA, Iq1Decoders.DELTA, 1 + Iq1Decoders.DELTA};
    /** {@code x_m}: the levels of a point shifted down. */
    static final float[] MINUS = {-1 - Iq1Decoders.DELTA, -Iq1Decoders.DELTA, 1 - Iq1Decoders.DELTA};

    /**
     * The positions {@code 0..n-1} of {@code x[off..off+n)} in ascending order of value ({@code <}, so −0 and +0 are
     * equal), equal values in their original order — what glibc's merge sort makes of {@code iq1_sort_helper}.
     */
    static void sortAscending(float[] x, int off, int n, int[] order) {
        for (int j = 0; j < n; ++j) {
            int i = j;
            while (i > 0 && x[off + order[i - 1]] > x[off + j]) {
                order[i] = order[i - 1];
                --i;
            }
            order[i] = j;
        }
    }

    /** The key of 8 levels (0..2) {@code L[off..off+8)}, level j in bits 2j, 2j+1. */
    static int key(byte[] L, int off) {
        int u = 0;
        for (int j = 0; j < 8; ++j) u |= L[off + j] << 2 * j;
        return u;
    }

    /**
     * {@code iq1_find_best_neighbour2}: of the off-grid key's neighbours, the point of least
     * Σ w·(scale·levels[l] − x)² (the first on ties, as {@code d2 < best}); its levels go to {@code L[lOff..lOff+8)}.
     * ik's build fuses {@code scale*q - x} and each {@code d2 + (w*diff)*diff}, as in {@link GridNeighbours}.
     */
    static int bestNeighbour(int key, float[] x, int xOff, float[] weight, int wOff, float scale, float[] levels,
                             boolean fused, byte[] L, int lOff) {
        GridNeighbours grid = GridNeighbours.iq1();
        float best = Float.MAX_VALUE;
        int bestIndex = -1;
        for (int n = 0, count = grid.neighbourCount(key); n < count; ++n) {
            int point = grid.neighbour(key, n);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) {
                float q = levels[level(grid, point, i)];
                float diff = fused ? Math.fma(scale, q, -x[xOff + i]) : scale * q - x[xOff + i];
                d2 = GridMath.mulAdd(fused, weight[wOff + i] * diff, diff, d2);
            }
            if (d2 < best) {
                best = d2;
                bestIndex = point;
            }
        }
        if (bestIndex < 0) throw new IllegalStateException("no neighbour of IQ1 grid key " + key + " is finite");
        for (int i = 0; i < 8; ++i) L[lOff + i] = (byte) level(grid, bestIndex, i);
        return bestIndex;
    }

    /**
     * Maps each group of 8 levels {@code L[8k..8k+8)} to its grid point, an off-grid group to its best neighbour at
     * {@code scale} with the group's level values {@code groupLevels[k]} (which rewrites its levels); the indices go
     * to {@code index}. Returns whether every group was on the grid.
     */
    static boolean mapToGrid(byte[] L, int groups, float[] x, int xb, float[] weight, float scale,
                             float[][] groupLevels, boolean fused, int[] index) {
        GridNeighbours grid = GridNeighbours.iq1();
        boolean allOnGrid = true;
        for (int k = 0; k < groups; ++k) {
            int u = key(L, 8 * k);
            int gridIndex = grid.gridIndex(u);
            if (gridIndex < 0) {
                allOnGrid = false;
                gridIndex = bestNeighbour(u, x, xb + 8 * k, weight, 8 * k, scale, groupLevels[k], fused, L, 8 * k);
            }
            index[k] = gridIndex;
        }
        return allOnGrid;
    }

    /** Level (0..2) of value i of grid point {@code point}. */
    static int level(GridNeighbours grid, int point, int i) {
        return (grid.position(point, i) - 1) / 2;
    }
}
