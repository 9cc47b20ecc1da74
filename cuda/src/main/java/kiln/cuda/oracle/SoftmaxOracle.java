package kiln.cuda.oracle;

/** Scalar oracle of softmax.cu: each row of x (in place) becomes softmax(scale · row), max subtracted first. */
public final class SoftmaxOracle {
    private SoftmaxOracle() {}

    public static void apply(float[] x, int rows, int n, float scale) {
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) max = Math.max(max, (double) scale * x[r * n + i]);
            double sum = 0;
            double[] e = new double[n];
            for (int i = 0; i < n; i++) sum += e[i] = Math.exp((double) scale * x[r * n + i] - max);
            for (int i = 0; i < n; i++) x[r * n + i] = (float) (e[i] / sum);
        }
    }
}
