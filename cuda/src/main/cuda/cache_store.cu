// Writing new K/V rows into the cache: f32 → f16 (round to nearest even, as ggml's FP32_TO_FP16) or f32 → q8_0
// (ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d), d stored as f16), bit for bit what the CPU
// writes (Kiln's codec is the oracle: the bytes must be equal). Also the residual add.
// Launch: store_f16 and add_inplace: block = 256, grid = ceil(n / 256); store_q8_0: one thread per 32-value block,
// block = 256, grid = ceil(nblocks / 256).
#include <cuda_fp16.h>
#include <stdint.h>

__host__ __device__ __forceinline__ void q8_0_block(const float *x, uint8_t *dst) {
    float amax = 0.0f;
    for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    *reinterpret_cast<__half *>(dst) = __float2half_rn(d);
    int8_t *qs = reinterpret_cast<int8_t *>(dst + 2);
    for (int i = 0; i < 32; i++) qs[i] = (int8_t)roundf(x[i] * id);
}

extern "C" __global__ void store_f16(const float *__restrict__ x, __half *__restrict__ dst, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = __float2half_rn(x[i]);
}

extern "C" __global__ void store_q8_0(const float *__restrict__ x, uint8_t *__restrict__ dst, long long nblocks) {
    const long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b < nblocks) q8_0_block(x + b * 32, dst + b * 34);
}

extern "C" __global__ void add_inplace(float *a, const float *__restrict__ b, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) a[i] += b[i];
}
