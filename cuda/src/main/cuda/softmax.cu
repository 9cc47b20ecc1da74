// Row softmax with a scale, in place: x[r][i] = exp(scale·x[r][i] − max) / Σ. Launch: block = 256 threads, grid = rows.
// Each thread's share (softmax_max_part, softmax_exp_part, softmax_div) is __host__ __device__ so the CPU runs it too
// (lane_emulation.cu); the block reductions in between need a device.
__host__ __device__ __forceinline__ float softmax_max_part(const float *r, int n, float scale, int tid, int nthreads) {
    float m = -INFINITY;
    for (int i = tid; i < n; i += nthreads) m = fmaxf(m, scale * r[i]);
    return m;
}

__host__ __device__ __forceinline__ float softmax_exp_part(float *r, int n, float scale, float m, int tid, int nthreads) {
    float s = 0.0f;
    for (int i = tid; i < n; i += nthreads) {
        const float e = expf(scale * r[i] - m);
        r[i] = e;
        s += e;
    }
    return s;
}

__host__ __device__ __forceinline__ void softmax_div(float *r, int n, float sum, int tid, int nthreads) {
    const float inv = 1.0f / sum;
    for (int i = tid; i < n; i += nthreads) r[i] *= inv;
}

extern "C" __global__ void softmax_rows(float *x, int n, float scale) {
    __shared__ float red[32];
    float *r = x + (size_t)blockIdx.x * n;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) / 32;
    float m = softmax_max_part(r, n, scale, threadIdx.x, blockDim.x);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_down_sync(0xffffffffu, m, o));
    if (lane == 0) red[warp] = m;
    __syncthreads();
    if (threadIdx.x < 32) {
        m = threadIdx.x < warps ? red[threadIdx.x] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_down_sync(0xffffffffu, m, o));
        if (threadIdx.x == 0) red[0] = m;
    }
    __syncthreads();
    m = red[0];
    __syncthreads();
    float s = softmax_exp_part(r, n, scale, m, threadIdx.x, blockDim.x);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0) red[warp] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        s = threadIdx.x < warps ? red[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
        if (threadIdx.x == 0) red[0] = s;
    }
    __syncthreads();
    softmax_div(r, n, red[0], threadIdx.x, blockDim.x);
}
