package kiln.tensor.codec.grid;

/**
 * llama.cpp's IQ1_M block search (inside {@code quantize_row_iq1_m_impl}): for every split {@code (i1, i2)} of the
 * sorted values, the four patterns' Σw·q·x and Σw·q² summed value by value in sorted order; the best score starts
 * at −FLT_MAX. After the grid mapping, an off-grid block refits its scale for the pattern found. No FMA.
 */
final class Iq1MSplitSearch extends Iq1MBlockSearch {

    Iq1MSplitSearch() {
        super(false);
    }

    @Override
    boolean search(float[] x, int xb, float[] weight) {
        Iq1Search.sortAscending(x, xb, 16, order);
        startBest(-Float.MAX_VALUE);
        for (int i1 = 0; i1 <= 16; ++i1) {
            for (int i2 = i1; i2 <= 16; ++i2) {
                java.util.Arrays.fill(sumqx, 0);
                java.util.Arrays.fill(sumq2, 0);
                for (int j = 0; j < 16; ++j) {
                    int i = order[j];
                    int l = j < i1 ? 0 : j < i2 ? 1 : 2;
                    for (int k = 0; k < 4; ++k) {
                        float v = groupLevels(k, i < 8 ? 0 : 1)[l];
                        sumqx[k] += weight[i] * v * x[xb + i];
                        sumq2[k] += weight[i] * v * v;
                    }
                }
                considerPatterns(i1, i2);
            }
        }
        if (bestK < 0) return false;
        shift = bestK;
        if (!levelsToGrid(x, xb, weight, bestI1, bestI2)) {
            GridNeighbours grid = GridNeighbours.iq1();
            float sqx = 0, sq2 = 0;
            for (int k = 0; k < 2; ++k) {
                float[] xx = groupLevels(shift, k);
                for (int j = 0; j < 8; ++j) {
                    float w = weight[8 * k + j];
                    float q = xx[Iq1Search.level(grid, index[k], j)];
                    sqx += w * q * x[xb + 8 * k + j];
                    sq2 += w * q * q;
                }
            }
            if (sqx > 0 && sq2 > 0) scale = sqx / sq2;
        }
        return true;
    }
}
