// Rotary position embedding, ggml's "normal" mode (llama, deepseek2: adjacent pairs x[2i], x[2i+1] rotate together),
// in place, with YaRN (ggml's rope_yarn). x: ntok × nhead × head_stride f32; the first n_dims values of each head
// rotate, the rest are left alone. theta for pair i at position p: p · freq_base^(−2i / n_dims).
// Launch: block = (n_dims / 2 threads, up to 256), grid = (nhead, ntok). One pair per thread: rope_pair, which the
// CPU runs too (src/test/cuda/lane_emulation.cu).
__host__ __device__ __forceinline__ float yarn_ramp(float low, float high, int i0) {
    const float y = (i0 / 2 - low) / fmaxf(0.001f, high - low);
    return 1.0f - fminf(1.0f, fmaxf(0.0f, y));
}

// freq_scale = 1 / context scaling factor; ext_factor = 0 turns YaRN off (plain llama RoPE when freq_scale = 1 and
// attn_factor = 1); corr_low / corr_high = ggml_rope_yarn_corr_dims.
__host__ __device__ __forceinline__ void rope_pair(float *v, int i, float pos, int n_dims, float freq_base, float freq_scale,
                                                  float ext_factor, float attn_factor, float corr_low, float corr_high) {
    const int i0 = 2 * i;
    const float theta_extrap = pos * powf(freq_base, -(float)i0 / (float)n_dims);
    const float theta_interp = freq_scale * theta_extrap;
    float theta = theta_interp, mscale = attn_factor;
    if (ext_factor != 0.0f) {
        const float mix = yarn_ramp(corr_low, corr_high, i0) * ext_factor;
        theta = theta_interp * (1.0f - mix) + theta_extrap * mix;
        mscale *= 1.0f + 0.1f * logf(1.0f / freq_scale);
    }
    const float c = cosf(theta) * mscale, s = sinf(theta) * mscale;
    const float a = v[i0], b = v[i0 + 1];
    v[i0] = a * c - b * s;
    v[i0 + 1] = a * s + b * c;
}

extern "C" __global__ void rope_norm(float *x, const int *__restrict__ pos, int nhead, int head_stride, int n_dims, float freq_base,
                                     float freq_scale, float ext_factor, float attn_factor, float corr_low, float corr_high) {
    const int h = blockIdx.x, t = blockIdx.y;
    float *v = x + ((size_t)t * nhead + h) * head_stride;
    for (int i = threadIdx.x; i < n_dims / 2; i += blockDim.x) {
        rope_pair(v, i, (float)pos[t], n_dims, freq_base, freq_scale, ext_factor, attn_factor, corr_low, corr_high);
    }
}
