// SwiGLU: out[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + exp(−g)). Launch: block = 256, grid = ceil(n / 256).
__host__ __device__ __forceinline__ float swiglu_one(float g, float u) {
    return g / (1.0f + expf(-g)) * u;
}

extern "C" __global__ void swiglu(const float *__restrict__ gate, const float *__restrict__ up, float *__restrict__ out, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    out[i] = swiglu_one(gate[i], up[i]);
}
