package kiln.tensor.codec.ik;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ik's {@code QuantizerIQKT} ({@code iqk/iqk_quantize.cpp}) for the integer trellises: groups of 8 with 256 clusters
 * (IQ1_KT, IQ2_KT, IQ3_KT) and groups of 4 with 625 (IQ4_KT): the table of every index's values, the clusters that
 * narrow the search, and the searches the quantizers share, each with the arithmetic ik's x86 build performs (AVX2
 * intrinsics, gcc's fused multiply-adds, read from the disassembly of {@code iqk_quantize.cpp.o}).
 *
 * <p>Clusters ({@code cluster_points}): with 8 values a point's cluster is the bit pattern of which values lie above
 * the per-position middle (half-way between the smallest and largest value; for the absolute trellis the median);
 * with 4 values it is the base-5 number of each value's bin ({@code bin5}: below −48, −16, 16, 48, or above). A
 * cluster's centre is its points' mean (0 for an empty one). {@code finalize_clusters} then lists, for every
 * cluster, the points having it among their {@code neighbours} nearest centres, padded to a multiple of 8 with the
 * next nearest other points.
 */
final class TrellisQuantizer {
    /** The group size of IQ1_KT … IQ3_KT (IQ4_KT's is 4). */
    static final int GROUP = 8;

    private final int group, clusters;
    private final float[] values;
    private final float[] mid = new float[GROUP];
    private final int[][] inCluster;
    /**
     * Per cluster, its points' values in scan order (see {@link #scanOrder}) as {@link TrellisLaneScan} reads them:
     * two values in an int (half the bytes of a float table).
     */
    private final int[][] clusterColumns;
    /** Per cluster: the point (index into its list) at each scan position. */
    private final int[][] scanOrder;

    /** {@code QuantizerIQKT<32, 8, bits, absolute, true>(256, neighbours)}. */
    TrellisQuantizer(int bits, boolean absolute, int neighbours) {
        this(GROUP, bits, absolute, 256, neighbours, Trellis.OFFSET);
    }

    /** {@code QuantizerIQKT<32, group, bits, absolute, true>(clusters, neighbours, offset)}: group 8 with 256 clusters or 4 with 625. */
    TrellisQuantizer(int group, int bits, boolean absolute, int clusters, int neighbours, int offset) {
        if (!(group == 8 && clusters == 256) && !(group == 4 && clusters == 625 && !absolute)) {
            throw new IllegalArgumentException("trellis groups of " + group + " with " + clusters + " clusters");
        }
        this.group = group;
        this.clusters = clusters;
        int count = 1 << bits;
        values = new float[count * group];
        for (int i = 0; i < count; i++) Trellis.group(i, offset, 1f, absolute, group, values, group * i);
        float[] centres = clusterPoints(absolute);
        inCluster = finalizeClusters(neighbours, centres);
        clusterColumns = new int[clusters][];
        scanOrder = new int[clusters][];
        for (int c = 0; c < clusters; c++) {
            int[] points = inCluster[c];
            int[] order = new int[points.length];
            for (int p = 0; p < points.length; p++) order[p] = (p & ~7) + laneOffset(p & 7);
            clusterColumns[c] = columns(points, order);
            scanOrder[c] = order;
        }
    }

    /**
     * The values of {@code points[order[p]]} (scan position p) in {@link TrellisLaneScan}'s layout: the upper 16 bits
     * of value 2j's float and of value 2j+1's in one int at {@code [j·npoint + p]}. Trellis values are integers in
     * [−126, 126], whose floats have zeros in the lower 16 bits, so each half holds its value exactly.
     */
    private int[] columns(int[] points, int[] order) {
        int npoint = points.length;
        int[] columns = new int[group / 2 * npoint];
        for (int p = 0; p < npoint; p++) {
            int point = order == null ? p : points[order[p]];
            for (int j = 0; j < group / 2; j++) {
                int high = Float.floatToRawIntBits(values[group * point + 2 * j]);
                int low = Float.floatToRawIntBits(values[group * point + 2 * j + 1]);
                if ((high & 0xffff) != 0 || (low & 0xffff) != 0) throw new IllegalStateException("trellis value not exact in 16 bits");
                columns[j * npoint + p] = high & 0xffff0000 | low >>> 16;
            }
        }
        return columns;
    }

    /**
     * Which point of a chunk of 8 ik's vector lane {@code lane} scores: lane i the point i with groups of 8; with
     * groups of 4 (two points per vector, {@code add_idx = 0,2,4,6,1,3,5,7}) lanes 0..3 the even points, 4..7 the odd.
     */
    private int laneOffset(int lane) {
        return group == 8 ? lane : 2 * (lane & 3) + (lane >> 2);
    }

    /** The values of every index (scale 1), one group after the other: {@code values()}. */
    float[] values() {
        return values;
    }

    /** {@code cluster_points} for 8 dimensions and 256 clusters or 4 and 625: sets {@link #mid}, returns the centres. */
    private float[] clusterPoints(boolean absolute) {
        int npoint = values.length / group;
        if (group == 4) {
            // bin5 needs no middle
        } else if (absolute) {
            int[] p = new int[npoint];
            for (int k = 0; k < GROUP; k++) {
                for (int i = 0; i < npoint; i++) p[i] = (int) values[i * GROUP + k];
                Arrays.sort(p);
                mid[k] = npoint % 2 == 0 ? 0.5f * (p[npoint / 2] + p[npoint / 2 - 1]) : p[npoint / 2];
            }
        } else {
            for (int k = 0; k < GROUP; k++) {
                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < npoint; i++) {
                    min = Math.min(min, values[i * GROUP + k]);
                    max = Math.max(max, values[i * GROUP + k]);
                }
                mid[k] = 0.5f * (min + max);
            }
        }
        float[] sum = new float[clusters * group];
        int[] counts = new int[clusters];
        for (int i = 0; i < npoint; i++) {
            int u = cell(values, i * group);
            counts[u]++;
            for (int k = 0; k < group; k++) sum[group * u + k] += values[i * group + k];
        }
        float[] centres = new float[clusters * group];
        for (int c = 0; c < clusters; c++) {
            if (counts[c] == 0 && group == 8) throw new IllegalStateException("trellis cluster " + c + " has no points");
            if (counts[c] == 0) continue; // ik prints "Oops" and leaves the centre 0
            for (int k = 0; k < group; k++) centres[c * group + k] = sum[c * group + k] / counts[c];
        }
        return centres;
    }

    /** The cluster of the group at {@code v[o..)}: bit k set when value k lies above the middle, or the base-5 bins. */
    private int cell(float[] v, int o) {
        int u = 0;
        if (group == 4) {
            for (int k = 0, s = 1; k < 4; k++, s *= 5) u += s * bin5(v[o + k]);
            return u;
        }
        for (int k = 0; k < GROUP; k++) if (v[o + k] > mid[k]) u |= 1 << k;
        return u;
    }

    /** {@code bin5} of the signed trellis. */
    private static int bin5(float x) {
        return x < -48.f ? 0 : x < -16.f ? 1 : x < 16.f ? 2 : x < 48.f ? 3 : 4;
    }

    /** Σ (p − c)² over one group, fused as ik's build does: {@code dist2 = fma(d, d, dist2)}. */
    private float distance2(float[] p, int po, float[] c, int co) {
        float dist2 = 0;
        for (int k = 0; k < group; k++) {
            float d = p[po + k] - c[co + k];
            dist2 = Math.fma(d, d, dist2);
        }
        return dist2;
    }

    /** {@code finalize_clusters}. */
    private int[][] finalizeClusters(int neighbours, float[] centres) {
        int npoint = values.length / group;
        List<List<Integer>> in = new ArrayList<>();
        for (int c = 0; c < clusters; c++) in.add(new ArrayList<>());
        int[] which = new int[neighbours * npoint];
        int[] ibest = new int[neighbours];
        float[] best = new float[neighbours];
        for (int ip = 0; ip < npoint; ip++) {
            Arrays.fill(best, Float.POSITIVE_INFINITY);
            Arrays.fill(ibest, -1);
            for (int ic = 0; ic < clusters; ic++) {
                float dist2 = distance2(values, ip * group, centres, ic * group);
                for (int j = 0; j < neighbours; j++) {
                    if (dist2 < best[j]) {
                        for (int k = neighbours - 1; k > j; --k) {
                            best[k] = best[k - 1];
                            ibest[k] = ibest[k - 1];
                        }
                        best[j] = dist2;
                        ibest[j] = ic;
                        break;
                    }
                }
            }
            for (int j = 0; j < neighbours; j++) in.get(ibest[j]).add(ip);
            System.arraycopy(ibest, 0, which, neighbours * ip, neighbours);
        }
        int[][] result = new int[clusters][];
        for (int ic = 0; ic < clusters; ic++) {
            List<Integer> points = in.get(ic);
            if (points.isEmpty() || points.size() % 8 != 0) {
                // ik sorts every other point by (dist2, ip) and takes the first `add`; keeping only the `add` smallest
                // in that order gives the same points without sorting the whole table per cluster
                int add = 8 * ((points.size() + 7) / 8) - points.size(), have = 0;
                float[] nearest = new float[add];
                int[] nearestPoint = new int[add];
                for (int ip = 0; ip < npoint; ip++) {
                    boolean canAdd = true;
                    for (int j = 0; j < neighbours; j++) if (which[neighbours * ip + j] == ic) { canAdd = false; break; }
                    if (!canAdd) continue;
                    float dist2 = distance2(values, ip * group, centres, ic * group);
                    int pos = have;
                    while (pos > 0 && before(dist2, ip, nearest[pos - 1], nearestPoint[pos - 1])) pos--;
                    if (pos == add) continue;
                    int last = Math.min(have, add - 1);
                    System.arraycopy(nearest, pos, nearest, pos + 1, last - pos);
                    System.arraycopy(nearestPoint, pos, nearestPoint, pos + 1, last - pos);
                    nearest[pos] = dist2;
                    nearestPoint[pos] = ip;
                    if (have < add) have++;
                }
                if (have < add) throw new IllegalStateException("trellis cluster " + ic + " cannot be padded to a multiple of 8");
                for (int i = 0; i < add; i++) points.add(nearestPoint[i]);
            }
            result[ic] = points.stream().mapToInt(Integer::intValue).toArray();
        }
        return result;
    }

    /** Whether (d1, p1) sorts before (d2, p2) as {@code std::pair<float, int>} does (distances are never NaN here). */
    private static boolean before(float d1, int p1, float d2, int p2) {
        int byDistance = Float.compare(d1, d2);
        return byDistance != 0 ? byDistance < 0 : p1 < p2;
    }

    /** ik's {@code hsum_float_8}: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)). */
    static float hsum8(float[] l) {
        float a0 = l[0] + l[4], a1 = l[1] + l[5], a2 = l[2] + l[6], a3 = l[3] + l[7];
        return (a0 + a2) + (a1 + a3);
    }

    /**
     * {@code find_best_match} (AVX2): for each group of the block {@code x[xo..xo+blockSize)} scaled by 1/d, the
     * index of the trellis group nearest in weighted squared distance among the points of the group's cluster.
     * Distances: per value {@code w·((q − x/d)²)}; with groups of 8 summed as {@code hsum_float_8x8} does (the order
     * of {@link #hsum8}), lane i scoring points j+i; with groups of 4 two points share a vector and
     * {@code hsum_float_4x8} gives (s0+s2)+(s1+s3), lanes 0..3 scoring points j, j+2, j+4, j+6 and lanes 4..7 points
     * j+1, j+3, j+5, j+7. Each lane keeps its first minimum; the lanes are then compared in order 0..7, strictly.
     */
    void findBestMatch(float d, float[] x, int xo, float[] w, int wo, int blockSize, int[] best, int bo) {
        findBestMatch(d, x, xo, w, wo, blockSize, best, bo, TrellisLaneScan.BEST);
    }

    /** {@link #findBestMatch} with the given lane scan (the tests compare the vector one with {@link TrellisLaneScan#SCALAR}). */
    void findBestMatch(float d, float[] x, int xo, float[] w, int wo, int blockSize, int[] best, int bo, TrellisLaneScan scan) {
        int groups = blockSize / group;
        if (d == 0) {
            Arrays.fill(best, bo, bo + groups, 0);
            return;
        }
        float id = 1 / d;
        float[] sx = new float[group], laneBest = new float[8];
        int[] laneIndex = new int[8];
        for (int l = 0; l < groups; l++) {
            int xl = xo + group * l, wl = wo + group * l;
            for (int j = 0; j < group; j++) sx[j] = id * x[xl + j];
            int u = cell(sx, 0);
            int[] points = inCluster[u], order = scanOrder[u];
            int[] columns = clusterColumns[u];
            if (points.length == 0) { // ik searches the whole table then (groups of 8; with 4 it asserts)
                if (group == 4) throw new IllegalStateException("trellis cluster " + u + " has no points");
                columns = allColumns();
                order = null;
            }
            scan.laneMinima(columns, 2 * columns.length / group, group, sx, w, wl, laneBest, laneIndex);
            float bestScore = Float.POSITIVE_INFINITY;
            int jbest = -1;
            for (int i = 0; i < 8; i++) {
                if (laneBest[i] < bestScore) {
                    bestScore = laneBest[i];
                    jbest = laneIndex[i];
                }
            }
            if (jbest < 0) throw new IllegalStateException("trellis search found no point in cluster " + u);
            if (order != null) jbest = order[jbest];
            best[bo + l] = points.length == 0 ? jbest : points[jbest];
        }
    }

    private int[] allColumns;

    /** The whole table column by column (groups of 8: scan order is the index order). */
    private synchronized int[] allColumns() {
        if (allColumns == null) allColumns = columns(new int[values.length / group], null);
        return allColumns;
    }

    /**
     * {@code find_best_scale} (AVX2): with q the trellis values of {@code best[bo..)}, the least-squares scale
     * Σwqx/Σwq² and its score (Σwqx)²/Σwq², or {0, 0} when Σwq² is not positive. Lane k sums the values at positions
     * k, k+8, … of the block: {@code qw = q·w; qx = fma(qw, x, qx); q2 = fma(qw, q, q2)}, then {@link #hsum8}.
     */
    float[] findBestScale(float[] x, int xo, float[] w, int wo, int blockSize, int[] best, int bo) {
        float[] qx = new float[8], q2 = new float[8];
        for (int e = 0; e < blockSize; e++) {
            float q = values[group * best[bo + e / group] + e % group];
            float qw = q * w[wo + e];
            qx[e % 8] = Math.fma(qw, x[xo + e], qx[e % 8]);
            q2[e % 8] = Math.fma(qw, q, q2[e % 8]);
        }
        float sumqx = hsum8(qx), sumq2 = hsum8(q2);
        return sumq2 > 0 ? new float[]{sumqx / sumq2, sumqx * sumqx / sumq2} : new float[]{0f, 0f};
    }

    /**
     * {@code set_weights}: per super-block of 256, without an imatrix {@code w = fma(x, x, σ²/4)}, with one
     * {@code w = qw·sqrt(fma(x, x, σ²))} (blocks of {@code blockSize} whose Σx², Σw² or Σw|x| is below 1e-14 get
     * 1e-4), where σ² = sigmaScale·Σx²/256 (Σx² over products rounded, summed in order); an all-but-zero super-block
     * gets 1e-4.
     */
    static void setWeights(float sigmaScale, int blockSize, float[] x, int xo, int n, float[] imatrix, float[] w) {
        final float eps2 = 1e-14f, small = 1e-4f;
        for (int ibl = 0; ibl < n / 256; ibl++) {
            int xb = xo + 256 * ibl, wb = 256 * ibl;
            float sumx2 = 0;
            for (int j = 0; j < 256; j++) sumx2 += x[xb + j] * x[xb + j];
            if (sumx2 < eps2 * 256) {
                Arrays.fill(w, wb, wb + 256, small);
                continue;
            }
            float sigma2 = sigmaScale * sumx2 / 256;
            if (imatrix != null) {
                for (int ib = 0; ib < 256 / blockSize; ib++) {
                    int o = ib * blockSize;
                    float sumwx = 0, sumw2 = 0, sumbx2 = 0;
                    for (int j = 0; j < blockSize; j++) {
                        float v = x[xb + o + j];
                        float wj = imatrix[wb + o + j] * FusedMath.sqrtf(Math.fma(v, v, sigma2));
                        w[wb + o + j] = wj;
                        sumwx = Math.fma(Math.abs(v), wj, sumwx);
                        sumw2 = Math.fma(wj, wj, sumw2);
                        sumbx2 = Math.fma(v, v, sumbx2);
                    }
                    if (sumbx2 < eps2 || sumw2 < eps2 || sumwx < eps2) Arrays.fill(w, wb + o, wb + o + blockSize, small);
                }
            } else {
                float quarter = 0.25f * sigma2;
                for (int j = 0; j < 256; j++) w[wb + j] = Math.fma(x[xb + j], x[xb + j], quarter);
            }
        }
    }
}
