package kiln.cuda.oracle;

/**
 * RoPE's scalars as ggml's rope op takes them. Plain llama RoPE: {@link #plain(float)}. YaRN (DeepSeek):
 * freqScale = 1/factor, extFactor = 1, attnFactor = the model's mscale correction, corrLow/corrHigh from
 * {@link #yarn}.
 */
public record RopeParams(float freqBase, float freqScale, float extFactor, float attnFactor, float corrLow, float corrHigh) {

    public static RopeParams plain(float freqBase) {
        return new RopeParams(freqBase, 1f, 0f, 1f, 0f, 0f);
    }

    /** ggml_rope_yarn_corr_dims for beta_fast / beta_slow (ggml's defaults 32 and 1). */
    public static RopeParams yarn(float freqBase, float factor, float attnFactor, int nDims, int nCtxOrig, float betaFast, float betaSlow) {
        float start = (float) Math.floor(corrDim(nDims, nCtxOrig, betaFast, freqBase));
        float end = (float) Math.ceil(corrDim(nDims, nCtxOrig, betaSlow, freqBase));
        return new RopeParams(freqBase, 1f / factor, 1f, attnFactor, Math.max(0, start), Math.min(nDims - 1, end));
    }

    static float corrDim(int nDims, int nCtxOrig, float nRot, float base) {
        return nDims * (float) Math.log(nCtxOrig / (nRot * 2 * (float) Math.PI)) / (2 * (float) Math.log(base));
    }
}
