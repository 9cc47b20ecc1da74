// RMSNorm with the weight multiply fused: out[t][i] = x[t][i] / sqrt(mean(x[t]^2) + eps) * w[i]
// (ggml_rms_norm followed by ggml_mul). Launch: block = 256 threads, grid = ntok; one block per row.
extern "C" __global__ void rms_norm(const float *__restrict__ x, const float *__restrict__ w, float *__restrict__ out, int n, float eps) {
    __shared__ float partial[32];
    const float *xr = x + (size_t)blockIdx.x * n;
    float *yr = out + (size_t)blockIdx.x * n;
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += xr[i] * xr[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        s = threadIdx.x < (blockDim.x + 31) / 32 ? partial[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
        if (threadIdx.x == 0) partial[0] = s;
    }
    __syncthreads();
    const float scale = rsqrtf(partial[0] / n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * scale * w[i];
}
