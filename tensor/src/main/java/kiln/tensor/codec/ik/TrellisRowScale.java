package kiln.tensor.codec.ik;

/**
 * Steps IQ1_KT and IQ2_KT share ({@code quantize_row_iq1_kt_impl} / {@code quantize_row_iq2_kt_impl}): the row
 * scale search over {@code iq4k_values} block scales and the choice between a block's old and new indices. Sums
 * follow ik's build: the inner loops are unrolled and gcc fuses {@code acc += a*b*c} into {@code fma(a*b, c, acc)}
 * and {@code x − dl·q} into {@code fma(−dl, q, x)}.
 */
final class TrellisRowScale {
    private TrellisRowScale() {}

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
}
