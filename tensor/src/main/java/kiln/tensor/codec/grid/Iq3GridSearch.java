package kiln.tensor.codec.grid;

import java.util.Arrays;

/**
 * ggml's {@code iq3xs_init_impl} and {@code iq3_find_best_neighbour} for one of the two 4-value grids (IQ3_XXS's
 * 256 points, IQ3_S's 512): every 4-tuple of levels 0..7 (12 bits, level i in bits 3i..3i+2) maps to its grid
 * point, or, off the grid, to the grid points at the {@code nwant} smallest squared distances (2 for 256 points,
 * 3 for 512), nearest first and by index within one distance, as {@code iq3_compare_func} sorts them. Identical in
 * llama.cpp and ik_llama.cpp (mainline's OpenMP version writes the same lists).
 */
final class Iq3GridSearch {

    static final Iq3GridSearch IQ3_XXS = new Iq3GridSearch(GridPoints.IQ3_XXS, 2);
    static final Iq3GridSearch IQ3_S = new Iq3GridSearch(GridPoints.IQ3_S, 3);

    private static final int TUPLES = 4096;

    private final char[] points;
    /** {@code kmap_q3xs}: the grid index of each on-grid tuple, −1 off the grid. */
    private final int[] indexOf = new int[TUPLES];
    /** The neighbour list of each off-grid tuple (null on the grid). */
    private final int[][] neighbours = new int[TUPLES][];

    private Iq3GridSearch(char[] points, int nwant) {
        this.points = points;
        Arrays.fill(indexOf, -1);
        for (int i = 0; i < points.length; ++i) indexOf[points[i]] = i;
        for (int u = 0; u < TUPLES; ++u) {
            if (indexOf[u] < 0) neighbours[u] = nearest(u, nwant);
        }
    }

    /** The grid points at the {@code nwant} smallest distances from tuple {@code u}, by (distance, index). */
    private int[] nearest(int u, int nwant) {
        long[] byDistance = new long[points.length];
        for (int j = 0; j < points.length; ++j) {
            int d2 = 0;
            for (int k = 0; k < 4; ++k) {
                int diff = 2 * (level(points[j], k) - level(u, k));
                d2 += diff * diff;
            }
            byDistance[j] = ((long) d2 << 32) | j;
        }
        Arrays.sort(byDistance);
        int n = 0, have = 1;
        long d2 = byDistance[0] >>> 32;
        for (; n < byDistance.length; ++n) {
            if ((byDistance[n] >>> 32) > d2) {
                if (have == nwant) break;
                d2 = byDistance[n] >>> 32;
                ++have;
            }
        }
        int[] list = new int[n];
        for (int j = 0; j < n; ++j) list[j] = (int) byDistance[j];
        return list;
    }

    private static int level(int tuple, int k) {
        return (tuple >> 3 * k) & 7;
    }

    /** The grid index of a tuple of 4 levels, or −1 when it is off the grid. */
    int indexOf(int tuple) {
        return indexOf[tuple];
    }

    /** Level {@code k} (0..7) of grid point {@code index}. */
    int pointLevel(int index, int k) {
        return level(points[index], k);
    }

    /** The 12-bit tuple of levels {@code L[off..off+4)}. */
    static int tuple(byte[] L, int off) {
        int u = 0;
        for (int i = 0; i < 4; ++i) u |= L[off + i] << 3 * i;
        return u;
    }

    /**
     * {@code iq3_find_best_neighbour}: of the off-grid tuple {@code u}'s neighbours, the one of least
     * Σ w·(scale·(2l+1) − x)² (the first on ties); its levels go to {@code L[lOff..lOff+4)}.
     */
    int bestNeighbour(boolean fused, int u, float[] xval, float[] weight, int off, float scale, byte[] L, int lOff) {
        float best = Float.MAX_VALUE;
        int bestIndex = -1;
        for (int j : neighbours[u]) {
            float d2 = 0;
            for (int i = 0; i < 4; ++i) {
                float q = 2 * level(points[j], i) + 1;
                float diff = fused ? Math.fma(scale, q, -xval[off + i]) : scale * q - xval[off + i];
                d2 = GridMath.mulAdd(fused, weight[off + i] * diff, diff, d2);
            }
            if (d2 < best) {
                best = d2;
                bestIndex = j;
            }
        }
        for (int i = 0; i < 4; ++i) L[lOff + i] = (byte) level(points[bestIndex], i);
        return bestIndex;
    }
}
