// Attention of one query token over an f16 or q8_0 cache (generation), with grouped-query heads (query head h reads cache
// head h / (nhead / nhead_kv)); cache rows 0 … n_kv−1 are all visible to the query. Three launches: attn_scores,
// softmax_rows (softmax.cu) with the scale, attn_values.
//   llama: q nhead × hd; k and v n_kv × nhead_kv × hd; hd_v = hd, v_stride = hd.
//   MLA with the latent cache (ik's -mla 2/3): nhead_kv = 1; each cache row is c^KV = [kv_lora_rank latent | n_rot
//   rope] (576 for DeepSeek-V3); q per head is [q_nope absorbed by attn_k_b | q_pe] (hd = 576); the values are the
//   latent part of the same rows: v = the cache, hd_v = kv_lora_rank, v_stride = 576. out is then the latent
//   output per head, which attn_v_b maps to the value space (a matvec).
#include <cuda_fp16.h>
#include <stdint.h>

// q8_0 cache rows: hd / 32 blocks of 34 bytes {half d; int8 qs[32]} (ggml's block_q8_0, as llama.cpp's -ctk/-ctv q8_0).
__host__ __device__ __forceinline__ float q8_0_value(const uint8_t *row, int d) {
    const uint8_t *blk = row + (size_t)(d / 32) * 34;
    return __half2float(*reinterpret_cast<const __half *>(blk)) * (float)reinterpret_cast<const int8_t *>(blk + 2)[d % 32];
}

// One score and one value element, as single threads compute them (the CPU runs these too: src/test/cuda/lane_emulation.cu).
__host__ __device__ __forceinline__ float attn_score_one(const float *q, const __half *k, int t, int h, int nhead, int nhead_kv, int hd) {
    const int hk = h / (nhead / nhead_kv);
    const float *qh = q + (size_t)h * hd;
    const __half *kr = k + ((size_t)t * nhead_kv + hk) * hd;
    float s = 0.0f;
    for (int d = 0; d < hd; d++) s += qh[d] * __half2float(kr[d]);
    return s;
}

__host__ __device__ __forceinline__ float attn_value_one(const float *p, const __half *v, int h, int d, int n_kv, int nhead, int nhead_kv,
                                                         int v_stride) {
    const int hk = h / (nhead / nhead_kv);
    const float *ph = p + (size_t)h * n_kv;
    float s = 0.0f;
    for (int t = 0; t < n_kv; t++) s += ph[t] * __half2float(v[((size_t)t * nhead_kv + hk) * v_stride + d]);
    return s;
}

__host__ __device__ __forceinline__ float attn_score_one_q8_0(const float *q, const uint8_t *k, int t, int h, int nhead, int nhead_kv, int hd) {
    const int hk = h / (nhead / nhead_kv);
    const float *qh = q + (size_t)h * hd;
    const uint8_t *kr = k + ((size_t)t * nhead_kv + hk) * (hd / 32) * 34;
    float s = 0.0f;
    for (int b = 0; b < hd / 32; b++) {
        const uint8_t *blk = kr + (size_t)b * 34;
        const int8_t *qs = reinterpret_cast<const int8_t *>(blk + 2);
        float p = 0.0f;
        for (int i = 0; i < 32; i++) p += qh[b * 32 + i] * (float)qs[i];
        s += __half2float(*reinterpret_cast<const __half *>(blk)) * p;
    }
    return s;
}

__host__ __device__ __forceinline__ float attn_value_one_q8_0(const float *p, const uint8_t *v, int h, int d, int n_kv, int nhead, int nhead_kv,
                                                              int v_stride) {
    const int hk = h / (nhead / nhead_kv);
    const float *ph = p + (size_t)h * n_kv;
    float s = 0.0f;
    for (int t = 0; t < n_kv; t++) s += ph[t] * q8_0_value(v + ((size_t)t * nhead_kv + hk) * (v_stride / 32) * 34, d);
    return s;
}

// scores[h][t] = q[h] · k[t][h / (nhead / nhead_kv)]. Launch: block = 256 threads (one cache row each), grid = (ceil(n_kv / 256), nhead).
extern "C" __global__ void attn_scores(const float *__restrict__ q, const __half *__restrict__ k, float *__restrict__ scores,
                                       int n_kv, int nhead, int nhead_kv, int hd) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x, h = blockIdx.y;
    if (t >= n_kv) return;
    scores[(size_t)h * n_kv + t] = attn_score_one(q, k, t, h, nhead, nhead_kv, hd);
}

// out[h][d] = Σ_t p[h][t] · v[(t · nhead_kv + h / g) · v_stride + d], d < hd_v. Launch: block = hd_v threads (≤ 1024), grid = nhead.
extern "C" __global__ void attn_values(const float *__restrict__ p, const __half *__restrict__ v, float *__restrict__ out,
                                       int n_kv, int nhead, int nhead_kv, int hd_v, int v_stride) {
    const int h = blockIdx.x, d = threadIdx.x;
    if (d >= hd_v) return;
    out[(size_t)h * hd_v + d] = attn_value_one(p, v, h, d, n_kv, nhead, nhead_kv, v_stride);
}

// The same two steps over a q8_0 cache (hd and v_stride multiples of 32; same launches).
extern "C" __global__ void attn_scores_q8_0(const float *__restrict__ q, const uint8_t *__restrict__ k, float *__restrict__ scores,
                                            int n_kv, int nhead, int nhead_kv, int hd) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x, h = blockIdx.y;
    if (t >= n_kv) return;
    scores[(size_t)h * n_kv + t] = attn_score_one_q8_0(q, k, t, h, nhead, nhead_kv, hd);
}

extern "C" __global__ void attn_values_q8_0(const float *__restrict__ p, const uint8_t *__restrict__ v, float *__restrict__ out,
                                            int n_kv, int nhead, int nhead_kv, int hd_v, int v_stride) {
    const int h = blockIdx.x, d = threadIdx.x;
    if (d >= hd_v) return;
    out[(size_t)h * hd_v + d] = attn_value_one_q8_0(p, v, h, d, n_kv, nhead, nhead_kv, v_stride);
}
