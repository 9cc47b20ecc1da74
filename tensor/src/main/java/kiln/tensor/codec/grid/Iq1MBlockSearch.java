package kiln.tensor.codec.grid;

/**
 * The search of one IQ1_M block of 16 values: split the sorted values into levels −1, 0, 1, choose the shift of
 * each half (pattern k: 0 = +,+; 1 = +,−; 2 = −,+; 3 = −,−, the first half's shift in bit 1), map both groups of 8
 * to the 2048-point grid, refit. llama.cpp and ik_llama.cpp search differently ({@link Iq1MSplitSearch},
 * {@link Iq1MCumulativeSearch}); this class holds what they share.
 */
abstract class Iq1MBlockSearch {

    final boolean fused;
    final int[] order = new int[16];
    final byte[] levels = new byte[16];
    /** The two grid indices after {@link #search}. */
    final int[] index = new int[2];
    /** Each shift pattern's Σw·q·x and Σw·q² for the split being scored. */
    final float[] sumqx = new float[4], sumq2 = new float[4];
    float scale;
    int shift;
    /** The best split so far ({@link #startBest}, {@link #considerPatterns}); {@code bestK} −1 while none scored. */
    float bestScore;
    int bestI1, bestI2, bestK;

    Iq1MBlockSearch(boolean fused) {
        this.fused = fused;
    }

    /**
     * Searches the block {@code x[xb..xb+16)} (not all zero) with importance {@code weight}; false when no split
     * scores (mainline then treats the block as empty; ik aborts).
     */
    abstract boolean search(float[] x, int xb, float[] weight);

    /** Starts a search: no split scored yet, the best score at {@code initial} (mainline −FLT_MAX, ik 0). */
    void startBest(float initial) {
        bestScore = initial;
        bestI1 = bestI2 = bestK = -1;
    }

    /** Split (i1, i2) with the four patterns' sums in {@link #sumqx}/{@link #sumq2}: keeps a pattern that scores better. */
    void considerPatterns(int i1, int i2) {
        for (int k = 0; k < 4; ++k) {
            if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > bestScore * sumq2[k]) {
                scale = sumqx[k] / sumq2[k];
                bestScore = scale * sumqx[k];
                bestI1 = i1;
                bestI2 = i2;
                bestK = k;
            }
        }
    }

    /** The level values of group g (0: first 8 values, 1: last 8) under shift pattern k. */
    static float[] groupLevels(int k, int g) {
        boolean plus = g == 0 ? k < 2 : k % 2 == 0;
        return plus ? Iq1Search.PLUS : Iq1Search.MINUS;
    }

    static float[][] groupLevels(int k) {
        return new float[][] {groupLevels(k, 0), groupLevels(k, 1)};
    }

    /**
     * The best split {@code (i1, i2)} as levels (sorted positions below i1 → 0, below i2 → 1, the rest → 2); a
     * negative scale flips the levels and the pattern (k → 3−k); then both groups go to the grid. Returns whether
     * both were on it.
     */
    boolean levelsToGrid(float[] x, int xb, float[] weight, int i1, int i2) {
        for (int j = 0; j < 16; ++j) levels[order[j]] = (byte) (j < i1 ? 0 : j < i2 ? 1 : 2);
        if (scale < 0) {
            for (int j = 0; j < 16; ++j) levels[j] = (byte) (2 - levels[j]);
            scale = -scale;
            shift = 3 - shift;
        }
        return Iq1Search.mapToGrid(levels, 2, x, xb, weight, scale, groupLevels(shift), fused, index);
    }
}
