package kiln.tensor.codec.grid;

/**
 * ik_llama.cpp's IQ1_M block search ({@code iq1m_process_1block}): running sums of w and w·x per half over the sorted
 * values give every split's four patterns in closed form (best score starting at 0); after the grid mapping, an
 * off-grid block recomputes all four patterns from its levels and may switch pattern and scale (its grid indices
 * stay). The roundings follow ik's build (read from its disassembly): the running sums add the rounded w·x; in a
 * split's sums the first-half terms are added in order with the third fused, the second half's first two terms
 * added, its third fused; the refit's sums are not fused.
 */
final class Iq1MCumulativeSearch extends Iq1MBlockSearch {

    private final float[] sumw1 = new float[17], sumw2 = new float[17], sumx1 = new float[17], sumx2 = new float[17];

    Iq1MCumulativeSearch() {
        super(true);
    }

    @Override
    boolean search(float[] x, int xb, float[] weight) {
        Iq1Search.sortAscending(x, xb, 16, order);
        sumw1[0] = sumw2[0] = sumx1[0] = sumx2[0] = 0;
        for (int j = 0; j < 16; ++j) {
            int i = order[j];
            float wx = weight[i] * x[xb + i];
            boolean first = i < 8;
            sumw1[j + 1] = first ? sumw1[j] + weight[i] : sumw1[j];
            sumx1[j + 1] = first ? sumx1[j] + wx : sumx1[j];
            sumw2[j + 1] = first ? sumw2[j] : sumw2[j] + weight[i];
            sumx2[j + 1] = first ? sumx2[j] : sumx2[j] + wx;
        }
        startBest(0);
        scale = 0;
        for (int i1 = 0; i1 <= 16; ++i1) {
            for (int i2 = i1; i2 <= 16; ++i2) {
                for (int k = 0; k < 4; ++k) {
                    float[] a = groupLevels(k, 0), b = groupLevels(k, 1);
                    float qx = GridMath.mulAdd(true, sumx1[16] - sumx1[i2], a[2], (sumx1[i1] - sumx1[0]) * a[0] + (sumx1[i2] - sumx1[i1]) * a[1]);
                    qx = qx + (sumx2[i1] - sumx2[0]) * b[0] + (sumx2[i2] - sumx2[i1]) * b[1];
                    sumqx[k] = GridMath.mulAdd(true, sumx2[16] - sumx2[i2], b[2], qx);
                    float q2 = GridMath.mulAdd(true, (sumw1[16] - sumw1[i2]) * a[2], a[2],
                            (sumw1[i1] - sumw1[0]) * a[0] * a[0] + (sumw1[i2] - sumw1[i1]) * a[1] * a[1]);
                    q2 = q2 + (sumw2[i1] - sumw2[0]) * b[0] * b[0] + (sumw2[i2] - sumw2[i1]) * b[1] * b[1];
                    sumq2[k] = GridMath.mulAdd(true, (sumw2[16] - sumw2[i2]) * b[2], b[2], q2);
                }
                considerPatterns(i1, i2);
            }
        }
        if (bestK < 0) return false;
        shift = bestK;
        if (!levelsToGrid(x, xb, weight, bestI1, bestI2)) {
            java.util.Arrays.fill(sumqx, 0);
            java.util.Arrays.fill(sumq2, 0);
            for (int j = 0; j < 16; ++j) {
                float w = weight[j];
                float qp = Iq1Search.PLUS[levels[j]], qm = Iq1Search.MINUS[levels[j]];
                float wx = w * x[xb + j];
                float xp = wx * qp, xm = wx * qm, pp = w * qp * qp, mm = w * qm * qm;
                sumqx[0] += xp;
                sumq2[0] += pp;
                sumqx[3] += xm;
                sumq2[3] += mm;
                sumqx[j < 8 ? 1 : 2] += xp;
                sumq2[j < 8 ? 1 : 2] += pp;
                sumqx[j < 8 ? 2 : 1] += xm;
                sumq2[j < 8 ? 2 : 1] += mm;
            }
            float best = 0;
            for (int k = 0; k < 4; ++k) {
                if (sumqx[k] > 0 && sumq2[k] > 0 && sumqx[k] * sumqx[k] > best * sumq2[k]) {
                    scale = sumqx[k] / sumq2[k];
                    best = scale * sumqx[k];
                    shift = k;
                }
            }
        }
        return true;
    }
}
