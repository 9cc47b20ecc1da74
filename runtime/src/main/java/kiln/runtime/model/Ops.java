package kiln.runtime.model;

/** Element-wise steps of the graphs, computed as ggml computes them on the CPU (f32 data, sums in double). */
final class Ops {
    private Ops() {}

    /** out = x / sqrt(mean(x²) + eps) · w (ggml_rms_norm then ggml_mul). */
    static void rmsNorm(float[] x, int xo, float[] w, float eps, float[] out, int oo, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) x[xo + i] * x[xo + i];
        float mean = (float) (sum / n);
        float scale = (float) (1.0 / Math.sqrt(mean + eps));
        for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * scale * w[i];
    }

    static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** In-place softmax of v[o..o+n) (max-subtracted, sum in double). */
    static void softmax(float[] v, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, v[o + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(v[o + i] - max);
            v[o + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) v[o + i] *= inv;
    }
}
