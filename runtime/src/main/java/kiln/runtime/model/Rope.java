package kiln.runtime.model;

/**
 * Rotary position embedding in ggml's "normal" mode (pairs of adjacent values), with linear or YaRN frequency
 * scaling and optional per-pair frequency factors (rope_freqs), as ggml_rope_ext computes it. cos/sin are
 * tabulated per position once.
 */
final class Rope {
    private final int nRot;
    private final float[] cos, sin;

    /**
     * @param freqScale   1/scaling factor (1 = none)
     * @param extFactor   YaRN extrapolation mix (0 = plain/linear scaling)
     * @param attnFactor  multiplier of cos/sin (after YaRN's own magnitude correction)
     * @param nCtxOrig    original training context (YaRN)
     * @param freqFactors per-pair divisors of theta, or null
     * @param fused       mainline's FMA-contracted rotation ({@link #fused}; the model's numerics)
     */
    Rope(int nRot, int nCtx, float freqBase, float freqScale, float extFactor, float attnFactor, int nCtxOrig,
         float betaFast, float betaSlow, float[] freqFactors, boolean fused) {
        this.nRot = nRot;
        this.fused = fused;
        int half = nRot / 2;
        cos = new float[nCtx * half];
        sin = new float[nCtx * half];
        float thetaScale = (float) Math.pow(freqBase, -2.0f / nRot);
        float[] corr = corrDims(nRot, nCtxOrig, freqBase, betaFast, betaSlow);
        float[] sc = new float[2];
        for (int p = 0; p < nCtx; p++) {
            float theta = p;
            for (int i0 = 0; i0 < nRot; i0 += 2) {
                float ff = freqFactors != null ? freqFactors[i0 / 2] : 1.0f;
                float thetaExtrap = theta / ff;
                float thetaInterp = freqScale * thetaExtrap;
                float th = thetaInterp;
                float mscale = attnFactor;
                if (extFactor != 0.0f) {
                    float rampMix = ramp(corr[0], corr[1], i0) * extFactor;
                    th = thetaInterp * (1 - rampMix) + thetaExtrap * rampMix;
                    mscale *= 1.0f + 0.1f * (float) Math.log(1.0f / freqScale);
                }
                kiln.runtime.kernel.GgmlMath.sincosf(th, sc, 0); // glibc's values, as ggml's rope cache
                cos[p * half + i0 / 2] = sc[1] * mscale;
                sin[p * half + i0 / 2] = sc[0] * mscale;
                theta *= thetaScale;
            }
        }
    }

    private static float ramp(float low, float high, int i0) {
        float y = (i0 / 2 - low) / Math.max(0.001f, high - low);
        return 1 - Math.min(1, Math.max(0, y));
    }

    private static float[] corrDims(int nDims, int nCtxOrig, float base, float betaFast, float betaSlow) {
        float start = (float) Math.floor(corrDim(nDims, nCtxOrig, betaFast, base));
        float end = (float) Math.ceil(corrDim(nDims, nCtxOrig, betaSlow, base));
        return new float[] {Math.max(0, start), Math.min(nDims - 1, end)};
    }

    private static float corrDim(int nDims, int nCtxOrig, float nRot, float base) {
        return nDims * (float) Math.log(nCtxOrig / (nRot * 2 * Math.PI)) / (2 * (float) Math.log(base));
    }

    /** mainline's build contracts the rotation into FMAs (c·x0 − s·x1 with one rounding of the c·x0 term); ik's does not. */
    private final boolean fused;

    /** Rotates x[o..o+nRot) for position pos in place. */
    void apply(float[] x, int o, int pos) {
        int half = nRot / 2;
        int base = pos * half;
        for (int i = 0; i < half; i++) {
            float c = cos[base + i], s = sin[base + i];
            float x0 = x[o + 2 * i], x1 = x[o + 2 * i + 1];
            if (fused) {
                x[o + 2 * i] = Math.fma(c, x0, -(s * x1));
                x[o + 2 * i + 1] = Math.fma(c, x1, s * x0);
            } else {
                x[o + 2 * i] = x0 * c - x1 * s;
                x[o + 2 * i + 1] = x0 * s + x1 * c;
            }
        }
    }
}
