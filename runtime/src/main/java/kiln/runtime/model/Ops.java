package kiln.runtime.model;

/** Element-wise steps of the graphs, computed as ggml computes them on the CPU (f32 data, sums in double). */
final class Ops {
    private Ops() {}

    /** out = x / sqrt(mean(x²) + eps) · w (ggml_rms_norm then ggml_mul: float squares summed in double). */
    static void rmsNorm(float[] x, int xo, float[] w, float eps, float[] out, int oo, int n) {
        float scale = rmsScale(x, xo, eps, n);
        for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * scale * w[i];
    }

    /** ik's ggml_fused_rms_norm: the same scale, applied as (scale·w)·x. */
    static void rmsNormIk(float[] x, int xo, float[] w, float eps, float[] out, int oo, int n) {
        float scale = rmsScale(x, xo, eps, n);
        for (int i = 0; i < n; i++) out[oo + i] = scale * w[i] * x[xo + i];
    }

    /** 1 / sqrt(mean(x²) + eps) as ggml computes it: float squares summed in double, the rest in float. */
    private static float rmsScale(float[] x, int xo, float eps, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[xo + i] * x[xo + i];
        float mean = (float) (sum / n);
        return 1.0f / (float) Math.sqrt(mean + eps);
    }

    static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    /** ggml_vec_sigmoid_f32: 1 / (1 + expf(−x)) in float. */
    static float sigmoid(float x) {
        return kiln.runtime.kernel.GgmlMath.sigmoid(x);
    }

    /** In-place softmax of v[o..o+n) (max-subtracted, sum in double). */
    static void softmax(float[] v, int o, int n) {
        kiln.runtime.kernel.ScalarKernels.softmaxInPlace(v, o, n);
    }
}
