// SwiGLU: out[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + exp(−g)). Launch: block = 256, grid = ceil(n / 256).
extern "C" __global__ void swiglu(const float *__restrict__ gate, const float *__restrict__ up, float *__restrict__ out, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
}
