package kiln.tensor.codec.ik;

/**
 * The scale fitting of the trellis quantizers: what IQ1_KT and IQ2_KT share ({@code quantize_row_iq1_kt_impl} /
 * {@code quantize_row_iq2_kt_impl}: the first pass over blocks, the row scale search over {@code iq4k_values} block
 * scales, the final pass keeping the better of a block's old and new indices) and the final refit sums all four
 * types use ({@link #accumulate}). Sums
 * follow ik's build: the inner loops are unrolled and gcc fuses {@code acc += a*b*c} into {@code fma(a*b, c, acc)}
 * and {@code x − dl·q} into {@code fma(−dl, q, x)}.
 */
final class TrellisScaleFit {
    private TrellisScaleFit() {}

    static final int BLOCK = 32, GROUPS = BLOCK / TrellisQuantizer.GROUP;

    /**
     * The first pass: per block of 32, the trellis indices ({@code idx}) and least-squares scale ({@code scales}) of
     * the better (by score) of the searches at ±amax/scale0, scale0 = max(90, 124·amax/amax_row); a block with
     * amax below 1e-16 gets scale 0 and indices 0. With {@code retryLower} (IQ1_KT) the searches are repeated at
     * scale0 − 8 and their better result replaces the first when it scores higher. Returns the block scale of
     * largest magnitude (the first one reached).
     */
    static float blockScales(TrellisQuantizer q, float[] x, int xOff, int n, float[] w, float[] scales, int[] idx,
                             boolean retryLower) {
        int[] best = new int[2 * GROUPS];
        float amaxRow = 0;
        for (int j = 0; j < n; j++) amaxRow = Math.max(amaxRow, Math.abs(x[xOff + j]));
        float amaxScale = 0, maxScale = 0;
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int xb = xOff + BLOCK * ib, wb = BLOCK * ib;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[xb + j]));
            if (amax < 1e-16f) {
                scales[ib] = 0;
                java.util.Arrays.fill(idx, GROUPS * ib, GROUPS * (ib + 1), 0);
                continue;
            }
            float scale0 = Math.max(90.f, 124.f * amax / amaxRow);
            q.findBestMatch(amax / scale0, x, xb, w, wb, BLOCK, best, 0);
            float[] plus = q.findBestScale(x, xb, w, wb, BLOCK, best, 0);
            q.findBestMatch(-amax / scale0, x, xb, w, wb, BLOCK, best, GROUPS);
            float[] minus = q.findBestScale(x, xb, w, wb, BLOCK, best, GROUPS);
            boolean plusWins = plus[1] > minus[1];
            scales[ib] = plusWins ? plus[0] : minus[0];
            System.arraycopy(best, plusWins ? 0 : GROUPS, idx, GROUPS * ib, GROUPS);
            if (retryLower) {
                float score = plusWins ? plus[1] : minus[1];
                scale0 -= 8;
                q.findBestMatch(amax / scale0, x, xb, w, wb, BLOCK, best, 0);
                float[] plus1 = q.findBestScale(x, xb, w, wb, BLOCK, best, 0);
                q.findBestMatch(-amax / scale0, x, xb, w, wb, BLOCK, best, GROUPS);
                float[] minus1 = q.findBestScale(x, xb, w, wb, BLOCK, best, GROUPS);
                if (plus1[1] > score || minus1[1] > score) {
                    boolean plus1Wins = plus1[1] > minus1[1];
                    scales[ib] = plus1Wins ? plus1[0] : minus1[0];
                    System.arraycopy(best, plus1Wins ? 0 : GROUPS, idx, GROUPS * ib, GROUPS);
                }
            }
            float absScale = Math.abs(scales[ib]);
            if (absScale > amaxScale) {
                amaxScale = absScale;
                maxScale = scales[ib];
            }
        }
        return maxScale;
    }

    /**
     * The row scale: starting from {@code maxScale/iq4k_values[0]}, for each of 19 tries the block scales are mapped
     * to their nearest {@code iq4k_values} level at {@code (try − 127)/maxScale} and the least-squares row scale
     * Σwxq/Σwq² is kept when its (Σwxq)²/Σwq² beats the best so far.
     */
    static float search(float maxScale, float[] x, int xOff, float[] w, float[] scales, int[] idx, float[] values,
                        int blocks, int blockSize) {
        float d = maxScale / IkIq4K.VALUES[0];
        float best = 0;
        for (int itry = -9; itry <= 9; ++itry) {
            float id = (itry + IkIq4K.VALUES[0]) / maxScale;
            float sumqx = 0, sumq2 = 0;
            for (int ib = 0; ib < blocks; ib++) {
                float dl = IkIq4K.VALUES[IkIq4.bestIndex(id * scales[ib])];
                int xb = xOff + blockSize * ib, wb = blockSize * ib;
                for (int j = 0; j < blockSize; j++) {
                    float q = dl * values[8 * idx[(wb + j) / 8] + j % 8];
                    sumqx = Math.fma(w[wb + j] * x[xb + j], q, sumqx);
                    sumq2 = Math.fma(w[wb + j] * q, q, sumq2);
                }
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        return d;
    }

    /**
     * Of the block's previous indices ({@code idx[g..g+groups)}) and the new ones ({@code best[0..groups)}), the one
     * with the smaller weighted error Σw(x − dl·q)² (ties: the new ones) ends in both arrays.
     */
    static void keepBetter(float[] values, float[] x, int xb, float[] w, int wb, float dl, int[] idx, int g,
                           int[] best, int groups) {
        float mse1 = 0, mse2 = 0;
        for (int ig = 0; ig < groups; ig++) {
            int q1 = 8 * idx[g + ig], q2 = 8 * best[ig];
            for (int j = 0; j < 8; j++) {
                int jj = 8 * ig + j;
                float diff1 = Math.fma(-dl, values[q1 + j], x[xb + jj]);
                float diff2 = Math.fma(-dl, values[q2 + j], x[xb + jj]);
                mse1 = Math.fma(w[wb + jj] * diff1, diff1, mse1);
                mse2 = Math.fma(w[wb + jj] * diff2, diff2, mse2);
            }
        }
        if (mse1 < mse2) System.arraycopy(idx, g, best, 0, groups);
        else System.arraycopy(best, 0, idx, g, groups);
    }

    /** Where the final pass puts a group's index: block {@code ib} of the row, group {@code ig} in it. */
    interface IndexStore {
        void put(int ib, int ig, int index);
    }

    /**
     * The final pass: each block of 32 is searched again at {@code d·level(ib)}, keeps the better of its old and new
     * indices ({@link #keepBetter}), which go to {@code store}; returns the refitted row scale Σwxq/Σwq² (q the
     * trellis value times the level), or NaN when Σwq² is not positive (the scale stays).
     */
    static float rematch(TrellisQuantizer q, float[] x, int xOff, int n, float[] w, int[] idx, float d,
                         java.util.function.IntUnaryOperator level, IndexStore store) {
        int[] best = new int[GROUPS];
        float[] values = q.values();
        float[] sums = new float[2];
        for (int ib = 0; ib < n / BLOCK; ib++) {
            int xb = xOff + BLOCK * ib, wb = BLOCK * ib;
            int ls = level.applyAsInt(ib);
            float dl = d * ls;
            q.findBestMatch(dl, x, xb, w, wb, BLOCK, best, 0);
            keepBetter(values, x, xb, w, wb, dl, idx, GROUPS * ib, best, GROUPS);
            for (int j = 0; j < GROUPS; j++) {
                store.put(ib, j, best[j]);
                accumulate(sums, values, 8, best[j], ls, w, wb + 8 * j, x, xb + 8 * j);
            }
        }
        return sums[1] > 0 ? sums[0] / sums[1] : Float.NaN;
    }

    /**
     * Adds one group's terms of the final refit Σwxq and Σwq² (q = trellis value × integer level {@code ls}) to
     * {@code sums[0]} and {@code sums[1]}, fused as ik's build does: {@code fma(w·x, q, ·)}, {@code fma(w·q, q, ·)}.
     */
    static void accumulate(float[] sums, float[] values, int group, int index, int ls, float[] w, int wo, float[] x, int xo) {
        float sumqx = sums[0], sumq2 = sums[1];
        for (int k = 0; k < group; k++) {
            float qv = values[group * index + k] * ls;
            float wk = w[wo + k];
            sumqx = Math.fma(wk * x[xo + k], qv, sumqx);
            sumq2 = Math.fma(wk * qv, qv, sumq2);
        }
        sums[0] = sumqx;
        sums[1] = sumq2;
    }
}
