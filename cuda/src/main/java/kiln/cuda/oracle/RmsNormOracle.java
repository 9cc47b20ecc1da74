package kiln.cuda.oracle;

/** Scalar oracle of rms_norm.cu: out = x / sqrt(mean(x²) + eps) · w per row (ggml_rms_norm then ggml_mul; the sum in double as ggml). */
public final class RmsNormOracle {
    private RmsNormOracle() {}

    public static float[] apply(float[] x, float[] w, int n, int ntok, float eps) {
        float[] out = new float[ntok * n];
        for (int t = 0; t < ntok; t++) {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += (double) x[t * n + i] * x[t * n + i];
            float scale = (float) (1.0 / Math.sqrt((float) (sum / n) + eps));
            for (int i = 0; i < n; i++) out[t * n + i] = x[t * n + i] * scale * w[i];
        }
        return out;
    }
}
