// Dequantize-and-multiply kernels: out[t][r] = W[r] · x[t] for ggml's Q8_0, Q4_K, Q5_K, Q6_K and IQ4_XS rows, and
// for f32, f16 and bf16 weights (norm-free small tensors such as the expert router, and 16-bit models).
// Layouts and dequantization as ggml's reference (ggml-quants.c: dequantize_row_q8_0/q4_K/q5_K/q6_K/iq4_xs);
// Kiln's scalar oracle is kiln.tensor.codec (bit-exact with ggml) followed by a double-precision dot product.
//
// Two kernels per type, both one warp per row and block = 128 threads (4 warps):
//   matvec_TYPE       generation: grid = (ceil(rows / 4), ntok), each token reads the row again;
//   matmul_TYPE_t8    prompts: grid = (ceil(rows / 4), ceil(ntok / 8)), a tile of up to 8 tokens per warp, so each
//                     weight byte is read and dequantized once per 8 tokens.
//   matvec_TYPE_heads one matrix per head (MLA's attn_k_b / attn_v_b, a 3-D tensor of nhead matrices of rows × cols):
//                     grid = (ceil(rows / 4), nhead), head h multiplies matrix h with x + h · cols into out + h · rows.
// Weights: rows × row_bytes bytes, rows packed back to back. x: ntok × cols f32. out: ntok × rows f32.
// Each type's lane share of a row for NT tokens is a __host__ __device__ template, so the CPU can run the same code
// lane by lane (src/test/cuda/lane_emulation.cu, LaneEmulationTest) where there is no GPU. acc[k] (k < nt ≤ NT)
// accumulates token k, whose activations start at x + k · cols.
#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

#define WARPS_PER_BLOCK 4

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

__host__ __device__ __forceinline__ float load_half(const uint8_t *p) {
    return __half2float(*reinterpret_cast<const __half *>(p));
}

// Q8_0: 32 values per 34-byte block {half d; int8 qs[32]}. Lane l takes blocks l, l + 32, …
template <int NT>
__host__ __device__ __forceinline__ void q8_0_lane(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt, float *acc) {
    for (int b = lane; b < nb; b += 32) {
        const uint8_t *blk = wr + (size_t)b * 34;
        const float d = load_half(blk);
        const int8_t *qs = reinterpret_cast<const int8_t *>(blk + 2);
        float s[NT];
#pragma unroll
        for (int k = 0; k < NT; k++) s[k] = 0.0f;
        for (int i = 0; i < 32; i++) {
            const float q = (float)qs[i];
#pragma unroll
            for (int k = 0; k < NT; k++)
                if (k < nt) s[k] += q * x[(size_t)k * cols + b * 32 + i];
        }
#pragma unroll
        for (int k = 0; k < NT; k++) acc[k] += d * s[k];
    }
}

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes.
__host__ __device__ __forceinline__ void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
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
template <int NT>
__host__ __device__ __forceinline__ void q4_k_lane(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt, float *acc) {
    const int j = lane >> 3, k0 = (lane & 7) * 4;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 144;
        const float d = load_half(blk), dmin = load_half(blk + 2);
        const uint8_t *scales = blk + 4, *qs = blk + 16 + 32 * j;
        int sc1, m1, sc2, m2;
        scale_min_k4(2 * j, scales, &sc1, &m1);
        scale_min_k4(2 * j + 1, scales, &sc2, &m2);
        const float d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
        const int c0 = b * 256 + 64 * j + k0;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const uint8_t q = qs[k0 + i];
            const float lo = d1 * (float)(q & 0xF) - mm1, hi = d2 * (float)(q >> 4) - mm2;
#pragma unroll
            for (int k = 0; k < NT; k++)
                if (k < nt) acc[k] += lo * x[(size_t)k * cols + c0 + i] + hi * x[(size_t)k * cols + c0 + i + 32];
        }
    }
}

// Q5_K: 256 values per 176-byte block {half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}: Q4_K's
// layout plus a fifth bit per value, bit 2j (low nibbles) or 2j + 1 (high nibbles) of qh[l] for 64-value chunk j.
// Same lane split as Q4_K.
template <int NT>
__host__ __device__ __forceinline__ void q5_k_lane(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt, float *acc) {
    const int j = lane >> 3, k0 = (lane & 7) * 4;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 176;
        const float d = load_half(blk), dmin = load_half(blk + 2);
        const uint8_t *scales = blk + 4, *qh = blk + 16, *qs = blk + 48 + 32 * j;
        int sc1, m1, sc2, m2;
        scale_min_k4(2 * j, scales, &sc1, &m1);
        scale_min_k4(2 * j + 1, scales, &sc2, &m2);
        const float d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
        const int c0 = b * 256 + 64 * j + k0;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const uint8_t q = qs[k0 + i], h = qh[k0 + i];
            const float lo = d1 * (float)((q & 0xF) + (((h >> (2 * j)) & 1) << 4)) - mm1;
            const float hi = d2 * (float)((q >> 4) + (((h >> (2 * j + 1)) & 1) << 4)) - mm2;
#pragma unroll
            for (int k = 0; k < NT; k++)
                if (k < nt) acc[k] += lo * x[(size_t)k * cols + c0 + i] + hi * x[(size_t)k * cols + c0 + i + 32];
        }
    }
}

// Q6_K: 256 values per 210-byte block {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d}.
// Lane l handles position l of both 128-value halves: four values each (l, l + 32, l + 64, l + 96 of the half).
template <int NT>
__host__ __device__ __forceinline__ void q6_k_lane(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt, float *acc) {
    const int l = lane, is = l / 16;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 210;
        const float d = load_half(blk + 208);
        const int8_t *sc = reinterpret_cast<const int8_t *>(blk + 192);
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = blk + 64 * half, *qh = blk + 128 + 32 * half;
            const int8_t *s = sc + 8 * half;
            const int c0 = b * 256 + 128 * half + l;
            const float w1 = d * (float)s[is + 0] * (float)((int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            const float w2 = d * (float)s[is + 2] * (float)((int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            const float w3 = d * (float)s[is + 4] * (float)((int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            const float w4 = d * (float)s[is + 6] * (float)((int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
#pragma unroll
            for (int k = 0; k < NT; k++) {
                if (k < nt) {
                    const float *y = x + (size_t)k * cols + c0;
                    acc[k] += w1 * y[0] + w2 * y[32] + w3 * y[64] + w4 * y[96];
                }
            }
        }
    }
}

// IQ4_XS: 256 values per 136-byte block {half d; uint16 scales_h; uint8 scales_l[4]; uint8 qs[128]}, eight 32-value
// sub-blocks with 6-bit scales (ls − 32) and the non-linear IQ4_NL grid. Lane l handles sub-block ib = l / 4 and its
// bytes qs[16 ib + 4 (l % 4) .. +4]: low nibbles are values 32 ib + j, high nibbles 32 ib + 16 + j.
__constant__ float kvalues_iq4nl_dev[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
#ifndef __CUDA_ARCH__
static const float kvalues_iq4nl_host[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
#endif

__host__ __device__ __forceinline__ float iq4nl(int i) {
#ifdef __CUDA_ARCH__
    return kvalues_iq4nl_dev[i];
#else
    return kvalues_iq4nl_host[i];
#endif
}

template <int NT>
__host__ __device__ __forceinline__ void iq4_xs_lane(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt, float *acc) {
    const int ib = lane >> 2, j0 = (lane & 3) * 4;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = wr + (size_t)b * 136;
        const float d = load_half(blk);
        const unsigned scales_h = blk[2] | (blk[3] << 8);
        const int ls = ((blk[4 + ib / 2] >> 4 * (ib % 2)) & 0xF) | (((scales_h >> 2 * ib) & 3) << 4);
        const float dl = d * (float)(ls - 32);
        const uint8_t *qs = blk + 8 + 16 * ib + j0;
        const int c0 = b * 256 + 32 * ib + j0;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const float lo = dl * iq4nl(qs[j] & 0xF), hi = dl * iq4nl(qs[j] >> 4);
#pragma unroll
            for (int k = 0; k < NT; k++)
                if (k < nt) acc[k] += lo * x[(size_t)k * cols + c0 + j] + hi * x[(size_t)k * cols + c0 + j + 16];
        }
    }
}

// f32, f16, bf16: lane l takes columns l, l + 32, … (coalesced).
__host__ __device__ __forceinline__ float load_f32(const uint8_t *w, int c) {
    return reinterpret_cast<const float *>(w)[c];
}

__host__ __device__ __forceinline__ float load_f16(const uint8_t *w, int c) {
    return __half2float(reinterpret_cast<const __half *>(w)[c]);
}

__host__ __device__ __forceinline__ float load_bf16(const uint8_t *w, int c) {
    const unsigned bits = (unsigned)reinterpret_cast<const uint16_t *>(w)[c] << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#define FLOAT_LANE(NAME, LOAD)                                                                                            \
    template <int NT>                                                                                                    \
    __host__ __device__ __forceinline__ void NAME(const uint8_t *wr, const float *x, int cols, int nb, int lane, int nt,  \
                                                  float *acc) {                                                          \
        for (int c = lane; c < cols; c += 32) {                                                                          \
            const float w = LOAD(wr, c);                                                                                 \
            _Pragma("unroll") for (int k = 0; k < NT; k++) if (k < nt) acc[k] += w * x[(size_t)k * cols + c];           \
        }                                                                                                                \
    }

FLOAT_LANE(f32_lane, load_f32)
FLOAT_LANE(f16_lane, load_f16)
FLOAT_LANE(bf16_lane, load_bf16)

#define TOKEN_TILE 8

// The kernels: one warp per row, the lanes' shares summed with shuffles.
#define QUANT_KERNELS(TYPE, LANE, BLOCK_VALUES, BLOCK_BYTES)                                                              \
    extern "C" __global__ void matvec_##TYPE(const uint8_t *__restrict__ w, const float *__restrict__ x,                  \
                                             float *__restrict__ out, int rows, int cols) {                              \
        const int lane = threadIdx.x & 31;                                                                                \
        const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);                                                \
        if (row >= rows) return;                                                                                          \
        const int nb = cols / BLOCK_VALUES;                                                                               \
        float acc[1] = {0.0f};                                                                                            \
        LANE<1>(w + (size_t)row * nb * BLOCK_BYTES, x + (size_t)blockIdx.y * cols, cols, nb, lane, 1, acc);              \
        const float sum = warp_sum(acc[0]);                                                                               \
        if (lane == 0) out[(size_t)blockIdx.y * rows + row] = sum;                                                        \
    }                                                                                                                     \
    extern "C" __global__ void matmul_##TYPE##_t8(const uint8_t *__restrict__ w, const float *__restrict__ x,             \
                                                  float *__restrict__ out, int rows, int cols, int ntok) {                \
        const int lane = threadIdx.x & 31;                                                                                \
        const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);                                                \
        if (row >= rows) return;                                                                                          \
        const int nb = cols / BLOCK_VALUES, t0 = blockIdx.y * TOKEN_TILE;                                                 \
        const int nt = min(TOKEN_TILE, ntok - t0);                                                                        \
        float acc[TOKEN_TILE];                                                                                            \
        _Pragma("unroll") for (int k = 0; k < TOKEN_TILE; k++) acc[k] = 0.0f;                                             \
        LANE<TOKEN_TILE>(w + (size_t)row * nb * BLOCK_BYTES, x + (size_t)t0 * cols, cols, nb, lane, nt, acc);             \
        _Pragma("unroll") for (int k = 0; k < TOKEN_TILE; k++) {                                                          \
            const float sum = warp_sum(acc[k]);                                                                           \
            if (lane == 0 && k < nt) out[(size_t)(t0 + k) * rows + row] = sum;                                            \
        }                                                                                                                 \
    }                                                                                                                     \
    extern "C" __global__ void matvec_##TYPE##_heads(const uint8_t *__restrict__ w, const float *__restrict__ x,          \
                                                     float *__restrict__ out, int rows, int cols) {                       \
        const int lane = threadIdx.x & 31;                                                                                \
        const int row = blockIdx.x * WARPS_PER_BLOCK + (threadIdx.x >> 5);                                                \
        if (row >= rows) return;                                                                                          \
        const int nb = cols / BLOCK_VALUES, h = blockIdx.y;                                                               \
        float acc[1] = {0.0f};                                                                                            \
        LANE<1>(w + ((size_t)h * rows + row) * nb * BLOCK_BYTES, x + (size_t)h * cols, cols, nb, lane, 1, acc);          \
        const float sum = warp_sum(acc[0]);                                                                               \
        if (lane == 0) out[(size_t)h * rows + row] = sum;                                                                 \
    }

QUANT_KERNELS(q8_0, q8_0_lane, 32, 34)
QUANT_KERNELS(q4_k, q4_k_lane, 256, 144)
QUANT_KERNELS(q5_k, q5_k_lane, 256, 176)
QUANT_KERNELS(q6_k, q6_k_lane, 256, 210)
QUANT_KERNELS(iq4_xs, iq4_xs_lane, 256, 136)
QUANT_KERNELS(f32, f32_lane, 1, 4)
QUANT_KERNELS(f16, f16_lane, 1, 2)
QUANT_KERNELS(bf16, bf16_lane, 1, 2)
