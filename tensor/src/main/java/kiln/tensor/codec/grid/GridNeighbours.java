package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

/**
 * The search tables of one grid, as ggml-quants.c's {@code iq2xs_init_impl} (and, for the 4-value grids,
 * {@code iq3xs_init_impl}) build them, identical in llama.cpp and ik_llama.cpp, plus {@code iq2_find_best_neighbour}.
 *
 * <p>A grid point is {@code valuesPerPoint} levels of {@code bitsPerValue} bits; the search works on the odd
 * integers {@code 2l+1} ({@link #position}). A <em>key</em> packs any levels the same way (value k in bits
 * {@code [bits·k, bits·k+bits)}). For every key below {@code mapSize}: {@link #gridIndex} is the grid point with
 * exactly these levels, or −1; a key that is no grid point has a neighbour list: all grid points at the
 * {@code nwant} smallest squared distances (in {@code 2l+1} units) from it, nearest first, ties by ascending
 * index — C's {@code qsort} of (distance, index) pairs, which orders them totally.
 *
 * <p>{@link #map()} and {@link #neighbours()} are C's {@code kmap_q2xs} and {@code kneighbors_q2xs} entry for entry:
 * a map value ≥ 0 is the grid index, a negative value {@code -(o+1)} points at offset o of the neighbour array, where
 * the count sits, followed by the indices. {@code GridNeighboursTest} checks both against the reference's arrays.
 *
 * <p>Built once per grid on first use ({@link #iq2xxs()}, …: a static holder each; the 2048-point grid of IQ1 takes
 * the longest, well under a second).
 */
final class GridNeighbours {

    private final int valuesPerPoint;
    private final int bitsPerValue;
    private final byte[] positions;
    private final float[] floatPositions;
    private final int[] map;
    private final char[] neighbours;

    /**
     * @param points     the grid as {@link GridPoints} lists it
     * @param mapSize    C's {@code kmap_size}: 43692 in {@code iq2xs_init_impl}, 4096 in {@code iq3xs_init_impl}
     * @param nwant      how many distinct distances a neighbour list spans: 2 for IQ2_XXS/IQ2_XS and the 256-point
     *                   IQ3 grid, 1 for IQ2_S, 3 for IQ1_S/IQ1_M and the 512-point IQ3 grid
     */
    GridNeighbours(char[] points, int valuesPerPoint, int bitsPerValue, int mapSize, int nwant) {
        this.valuesPerPoint = valuesPerPoint;
        this.bitsPerValue = bitsPerValue;
        int mask = (1 << bitsPerValue) - 1;
        positions = new byte[points.length * valuesPerPoint];
        map = new int[mapSize];
        java.util.Arrays.fill(map, -1);
        for (int i = 0; i < points.length; i++) {
            for (int k = 0; k < valuesPerPoint; k++) {
                positions[i * valuesPerPoint + k] = (byte) (2 * ((points[i] >> (bitsPerValue * k)) & mask) + 1);
            }
            map[points[i]] = i;
        }
        neighbours = buildNeighbours(points.length, mask, nwant);
        floatPositions = new float[positions.length];
        for (int i = 0; i < positions.length; i++) floatPositions[i] = positions[i];
    }

    /** {@code kgrid_2bit_256}, nwant 2 (IQ2_XXS). */
    static GridNeighbours iq2xxs() {
        return Iq2xxsHolder.TABLES;
    }

    /** {@code kgrid_2bit_512}, nwant 2 (IQ2_XS). */
    static GridNeighbours iq2xs() {
        return Iq2xsHolder.TABLES;
    }

    /** {@code kgrid_2bit_1024}, nwant 1 (IQ2_S). */
    static GridNeighbours iq2s() {
        return Iq2sHolder.TABLES;
    }

    /** {@code kgrid_1bit_2048}, nwant 3 (IQ1_S, IQ1_M). */
    static GridNeighbours iq1() {
        return Iq1Holder.TABLES;
    }

    /** {@code iq3xs_init_impl(256)}: {@code kgrid_256}, 4 values of 3 bits, nwant 2 (IQ3_XXS). */
    static GridNeighbours iq3xxs() {
        return Iq3xxsHolder.TABLES;
    }

    /** {@code iq3xs_init_impl(512)}: {@code kgrid_512}, 4 values of 3 bits, nwant 3 (IQ3_S). */
    static GridNeighbours iq3s() {
        return Iq3sHolder.TABLES;
    }

    /** {@code iq3xs_init_impl}'s map size: every key of 4 three-bit levels. */
    static final int IQ3_MAP_SIZE = 4096;

    /** {@code iq2xs_init_impl}'s map size: every key of 8 two-bit levels up to 0xAAAA (all levels 2) and two more. */
    static final int IQ2_MAP_SIZE = 43692;

    private static final class Iq2xxsHolder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ2_XXS, 8, 2, IQ2_MAP_SIZE, 2);
    }

    private static final class Iq2xsHolder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ2_XS, 8, 2, IQ2_MAP_SIZE, 2);
    }

    private static final class Iq2sHolder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ2_S, 8, 2, IQ2_MAP_SIZE, 1);
    }

    private static final class Iq3xxsHolder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ3_XXS, 4, 3, IQ3_MAP_SIZE, 2);
    }

    private static final class Iq3sHolder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ3_S, 4, 3, IQ3_MAP_SIZE, 3);
    }

    private static final class Iq1Holder {
        static final GridNeighbours TABLES = new GridNeighbours(GridPoints.IQ1, 8, 2, IQ2_MAP_SIZE, 3);
    }

    int valuesPerPoint() {
        return valuesPerPoint;
    }

    int bitsPerValue() {
        return bitsPerValue;
    }

    /** Number of grid points. */
    int size() {
        return positions.length / valuesPerPoint;
    }

    /** {@code 2l+1} of value k of grid point i (C's {@code ((int8_t *)(kgrid_q2xs + i))[k]}). */
    int position(int i, int k) {
        return positions[i * valuesPerPoint + k];
    }

    /** The grid point whose levels the key packs, or −1 when none has them. */
    int gridIndex(int key) {
        int m = map[key];
        return m >= 0 ? m : -1;
    }

    /** How many neighbours the off-grid key has. */
    int neighbourCount(int key) {
        return neighbours[-map[key] - 1];
    }

    /** Neighbour n (0-based, nearest first) of the off-grid key. */
    int neighbour(int key, int n) {
        return neighbours[-map[key] + n];
    }

    /** C's {@code kmap_q2xs} (a copy). */
    int[] map() {
        return map.clone();
    }

    /** C's {@code kneighbors_q2xs} (a copy). */
    char[] neighbours() {
        return neighbours.clone();
    }

    /**
     * {@code iq2_find_best_neighbour}: among the off-grid key's neighbours, the grid point p minimising
     * Σ w[i]·(scale·p[i] − x[i])² over the 8 values (the first of equal ones); writes its levels {@code (p[i]−1)/2}
     * into {@code levels[levelsOff..+8)} and returns its index. ik's build computes each difference and each term
     * with a fused multiply-add ({@code fma(scale, p, −x)}, then {@code fma(w·diff, diff, d2)}, read from its
     * disassembly); llama.cpp's rounds every operation.
     */
    int bestNeighbour(int key, float[] x, int xOff, float[] w, int wOff, float scale, Flavor flavor,
                      byte[] levels, int levelsOff) {
        int start = -map[key] - 1;
        int count = neighbours[start];
        boolean fused = flavor == Flavor.IK;
        int best = valuesPerPoint == 8 ? bestOfEight(start, count, x, xOff, w, wOff, scale, fused)
                : bestOfAny(start, count, x, xOff, w, wOff, scale, fused);
        if (best < 0) throw new IllegalStateException("no neighbour of grid key " + key + " is finite");
        for (int i = 0; i < valuesPerPoint; ++i) levels[levelsOff + i] = (byte) ((positions[best * valuesPerPoint + i] - 1) / 2);
        return best;
    }

    /** The search over points of any width. */
    private int bestOfAny(int start, int count, float[] x, int xOff, float[] w, int wOff, float scale, boolean fused) {
        float bestD2 = Float.MAX_VALUE;
        int best = -1;
        for (int j = 1; j <= count; ++j) {
            int point = neighbours[start + j];
            int p = point * valuesPerPoint;
            float d2 = 0;
            for (int i = 0; i < valuesPerPoint; ++i) d2 = term(d2, floatPositions[p + i], x[xOff + i], w[wOff + i], scale, fused);
            if (d2 < bestD2) {
                bestD2 = d2;
                best = point;
            }
        }
        return best;
    }

    /** The same for 8-value points, the values and weights held in locals as the C compiler holds them in registers. */
    private int bestOfEight(int start, int count, float[] x, int xOff, float[] w, int wOff, float scale, boolean fused) {
        float x0 = x[xOff], x1 = x[xOff + 1], x2 = x[xOff + 2], x3 = x[xOff + 3];
        float x4 = x[xOff + 4], x5 = x[xOff + 5], x6 = x[xOff + 6], x7 = x[xOff + 7];
        float w0 = w[wOff], w1 = w[wOff + 1], w2 = w[wOff + 2], w3 = w[wOff + 3];
        float w4 = w[wOff + 4], w5 = w[wOff + 5], w6 = w[wOff + 6], w7 = w[wOff + 7];
        float[] q = floatPositions;
        float bestD2 = Float.MAX_VALUE;
        int best = -1;
        for (int j = 1; j <= count; ++j) {
            int point = neighbours[start + j];
            int p = point * 8;
            float d2 = term(0, q[p], x0, w0, scale, fused);
            d2 = term(d2, q[p + 1], x1, w1, scale, fused);
            d2 = term(d2, q[p + 2], x2, w2, scale, fused);
            d2 = term(d2, q[p + 3], x3, w3, scale, fused);
            d2 = term(d2, q[p + 4], x4, w4, scale, fused);
            d2 = term(d2, q[p + 5], x5, w5, scale, fused);
            d2 = term(d2, q[p + 6], x6, w6, scale, fused);
            d2 = term(d2, q[p + 7], x7, w7, scale, fused);
            if (d2 < bestD2) {
                bestD2 = d2;
                best = point;
            }
        }
        return best;
    }

    /** {@code d2 + w·(scale·q − x)²}: ik fuses the difference and the accumulation, llama.cpp rounds each step. */
    private static float term(float d2, float q, float x, float w, float scale, boolean fused) {
        if (fused) {
            float diff = Math.fma(scale, q, -x);
            return Math.fma(w * diff, diff, d2);
        }
        float diff = scale * q - x;
        return d2 + w * diff * diff;
    }

    /**
     * The neighbour lists in map-key order ({@code iq2xs_init_impl}'s second pass): for each off-grid key, its count
     * and the points at the nwant smallest distances, by distance then index.
     */
    private char[] buildNeighbours(int gridSize, int mask, int nwant) {
        int maxDistance = valuesPerPoint * (2 * mask) * (2 * mask);
        int[] distance = new int[gridSize];
        int[] perDistance = new int[maxDistance + 1];
        int[] pos = new int[valuesPerPoint];
        char[] out = new char[1 << 16];
        int counter = 0;
        for (int key = 0; key < map.length; ++key) {
            if (map[key] >= 0) continue;
            for (int k = 0; k < valuesPerPoint; ++k) pos[k] = 2 * ((key >> (bitsPerValue * k)) & mask) + 1;
            java.util.Arrays.fill(perDistance, 0);
            for (int j = 0; j < gridSize; ++j) {
                int d2 = 0;
                for (int k = 0; k < valuesPerPoint; ++k) {
                    int diff = positions[j * valuesPerPoint + k] - pos[k];
                    d2 += diff * diff;
                }
                distance[j] = d2;
                perDistance[d2]++;
            }
            int n = 0, nhave = 0, limit = -1;
            for (int d = 0; d <= maxDistance && nhave < nwant; ++d) {
                if (perDistance[d] == 0) continue;
                n += perDistance[d];
                ++nhave;
                limit = d;
            }
            if (counter + 1 + n > out.length) out = java.util.Arrays.copyOf(out, Math.max(2 * out.length, counter + 1 + n));
            map[key] = -(counter + 1);
            out[counter++] = (char) n;
            for (int d = 0; d <= limit; ++d) {
                if (perDistance[d] == 0) continue;
                for (int j = 0; j < gridSize; ++j) if (distance[j] == d) out[counter++] = (char) j;
            }
        }
        return java.util.Arrays.copyOf(out, counter);
    }
}
