// RMSNorm with the weight multiply fused: out[t][i] = x[t][i] / sqrt(mean(x[t]^2) + eps) * w[i]
// (ggml_rms_norm followed by ggml_mul). Launch: block = 256 threads, grid = ntok; one block per row.
// Each thread's share (rms_partial, rms_apply) is __host__ __device__ so the CPU runs it too (lane_emulation.cu);
// the block reduction in between needs a device.
__host__ __device__ __forceinline__ float rms_partial(const float *xr, int n, int tid, int nthreads) {
    float s = 0.0f;
    for (int i = tid; i < n; i += nthreads) s += xr[i] * xr[i];
    return s;
}

__host__ __device__ __forceinline__ float rms_scale(float sum, int n, float eps) {
#ifdef __CUDA_ARCH__
    return rsqrtf(sum / n + eps);
#else
    return 1.0f / sqrtf(sum / n + eps);
#endif
}

__host__ __device__ __forceinline__ void rms_apply(const float *xr, const float *w, float *yr, int n, int tid, int nthreads, float scale) {
    for (int i = tid; i < n; i += nthreads) yr[i] = xr[i] * scale * w[i];
}

extern "C" __global__ void rms_norm(const float *__restrict__ x, const float *__restrict__ w, float *__restrict__ out, int n, float eps) {
    __shared__ float partial[32];
    const float *xr = x + (size_t)blockIdx.x * n;
    float *yr = out + (size_t)blockIdx.x * n;
    float s = rms_partial(xr, n, threadIdx.x, blockDim.x);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        s = threadIdx.x < (blockDim.x + 31) / 32 ? partial[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
        if (threadIdx.x == 0) partial[0] = s;
    }
    __syncthreads();
    rms_apply(xr, w, yr, n, threadIdx.x, blockDim.x, rms_scale(partial[0], n, eps));
}
