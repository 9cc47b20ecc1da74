// Dequantize-and-multiply kernels for token generation: out[t][r] = W[r] · x[t] for ggml's Q8_0, Q4_K and Q6_K rows.
// Layouts and dequantization as ggml's reference (ggml-quants.c: dequantize_row_q8_0/q4_K/q6_K); Kiln's scalar
// oracle is kiln.tensor.codec (bit-exact with ggml) followed by a double-precision dot product.
//
// Launch: block = 128 threads (4 warps), one warp per row; grid = (ceil(rows / 4), ntok).
// Weights: rows × row_bytes bytes, rows packed back to back. x: ntok × cols f32. out: ntok × rows f32.
#include <cuda_fp16.h>
#include <stdint.h>

#define WARPS_PER_BLOCK 4

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float load_half(const uint8_t *p) {
    return __half2float(*reinterpret_cast<const __half *>(p));
}

// Q8_0: 32 values per 34-byte block {half d; int8 qs[32]}. Each lane takes whole blocks.
extern "C" __global__ void matvec_q8_0(const uint8_t *__restrict__ w, const float *__restrict__ x, float *__restrict__ out,
                                       int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= rows) return;
    const int nb = cols / 32;
    const uint8_t *wr = w + (size_t)row * nb * 34;
    const float *xt = x + (size_t)blockIdx.y * cols;
    float sum = 0.0f;
    for (int b = lane; b < nb; b += 32) {
        const uint8_t *blk = wr + (size_t)b * 34;
        const float d = load_half(blk);
        const int8_t *qs = reinterpret_cast<const int8_t *>(blk + 2);
        const float *xb = xt + b * 32;
        float s = 0.0f;
#pragma unroll
        for (int i = 0; i < 32; i++) s += (float)qs[i] * xb[i];
        sum += d * s;
    }
    sum = warp_sum(sum);
    if (lane == 0) out[(size_t)blockIdx.y * rows + row] = sum;
}

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes.
__device__ __forceinline__ void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Q4_K: 256 values per 144-byte block {half d; half dmin; uint8 scales[12]; uint8 qs[128]}.
// The warp takes one block at a time: lane l handles 64-value chunk j = l / 8 and its bytes qs[32 j + 4 (l % 8) .. +4]
// (low nibbles: values 64 j + 4 (l % 8) + k with scale 2 j; high nibbles: the same + 32 with scale 2 j + 1).
extern "C" __global__ void matvec_q4_k(const uint8_t *__restrict__ w, const float *__restrict__ x, float *__restrict__ out,
                                       int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= rows) return;
    const int nb = cols / 256;
    const uint8_t *wr = w + (size_t)row * nb * 144;
    const float *xt = x + (size_t)blockIdx.y * cols;
    const int j = lane >> 3, k0 = (lane & 7) * 4;
    float sum = 0.0f;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 144;
        const float d = load_half(blk), dmin = load_half(blk + 2);
        const uint8_t *scales = blk + 4, *qs = blk + 16 + 32 * j;
        int sc1, m1, sc2, m2;
        scale_min_k4(2 * j, scales, &sc1, &m1);
        scale_min_k4(2 * j + 1, scales, &sc2, &m2);
        const float d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
        const float *xb = xt + b * 256 + 64 * j + k0;
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < 4; k++) {
            const uint8_t q = qs[k0 + k];
            s += (d1 * (float)(q & 0xF) - mm1) * xb[k];
            s += (d2 * (float)(q >> 4) - mm2) * xb[k + 32];
        }
        sum += s;
    }
    sum = warp_sum(sum);
    if (lane == 0) out[(size_t)blockIdx.y * rows + row] = sum;
}

// Q6_K: 256 values per 210-byte block {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d}.
// Lane l handles position l of both 128-value halves: four values each (l, l + 32, l + 64, l + 96 of the half).
extern "C" __global__ void matvec_q6_k(const uint8_t *__restrict__ w, const float *__restrict__ x, float *__restrict__ out,
                                       int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= rows) return;
    const int nb = cols / 256;
    const uint8_t *wr = w + (size_t)row * nb * 210;
    const float *xt = x + (size_t)blockIdx.y * cols;
    const int l = lane, is = l / 16;
    float sum = 0.0f;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 210;
        const float d = load_half(blk + 208);
        const int8_t *sc = reinterpret_cast<const int8_t *>(blk + 192);
        const float *xb = xt + b * 256;
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = blk + 64 * half, *qh = blk + 128 + 32 * half;
            const int8_t *s = sc + 8 * half;
            const float *y = xb + 128 * half;
            const int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            sum += d * ((float)s[is + 0] * q1 * y[l] + (float)s[is + 2] * q2 * y[l + 32]
                        + (float)s[is + 4] * q3 * y[l + 64] + (float)s[is + 6] * q4 * y[l + 96]);
        }
    }
    sum = warp_sum(sum);
    if (lane == 0) out[(size_t)blockIdx.y * rows + row] = sum;
}
