package kiln.cuda.oracle;

/**
 * Scalar oracle of rope.cu: ggml's "normal" RoPE (adjacent pairs) with YaRN (ggml_compute_forward_rope_f32 and
 * rope_yarn), in place on x[t][h][0 … nDims). ggml steps theta by theta_scale pair by pair; the kernel computes the
 * power directly, so the two differ by float rounding only.
 */
public final class RopeOracle {
    private RopeOracle() {}

    public static void apply(float[] x, int[] pos, int ntok, int nhead, int headStride, int nDims, RopeParams p) {
        float thetaScale = (float) Math.pow(p.freqBase(), -2.0 / nDims);
        for (int t = 0; t < ntok; t++) {
            for (int h = 0; h < nhead; h++) {
                int base = (t * nhead + h) * headStride;
                float theta = pos[t];
                for (int i0 = 0; i0 < nDims; i0 += 2) {
                    float[] cs = yarn(theta, p, i0);
                    float a = x[base + i0], b = x[base + i0 + 1];
                    x[base + i0] = a * cs[0] - b * cs[1];
                    x[base + i0 + 1] = a * cs[1] + b * cs[0];
                    theta *= thetaScale;
                }
            }
        }
    }

    /** ggml's rope_yarn: {cos θ · mscale, sin θ · mscale}. */
    static float[] yarn(float thetaExtrap, RopeParams p, int i0) {
        float thetaInterp = p.freqScale() * thetaExtrap;
        float theta = thetaInterp, mscale = p.attnFactor();
        if (p.extFactor() != 0) {
            float y = (i0 / 2 - p.corrLow()) / Math.max(0.001f, p.corrHigh() - p.corrLow());
            float rampMix = (1 - Math.min(1, Math.max(0, y))) * p.extFactor();
            theta = thetaInterp * (1 - rampMix) + thetaExtrap * rampMix;
            mscale *= 1.0f + 0.1f * (float) Math.log(1.0f / p.freqScale());
        }
        return new float[] {(float) Math.cos(theta) * mscale, (float) Math.sin(theta) * mscale};
    }
}
