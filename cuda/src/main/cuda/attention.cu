// Attention of one query token over an f16 K/V cache (generation), llama layout with grouped-query heads:
// q: nhead × hd f32; k, v: n_kv × nhead_kv × hd f16 (cache rows 0 … n_kv−1, all visible to the query);
// out: nhead × hd f32. Three launches: attn_scores, softmax_rows (softmax.cu) with scale, attn_values.
#include <cuda_fp16.h>

// scores[h][t] = q[h] · k[t][h / (nhead / nhead_kv)]. Launch: block = 256 threads (one cache row each), grid = (ceil(n_kv / 256), nhead).
extern "C" __global__ void attn_scores(const float *__restrict__ q, const __half *__restrict__ k, float *__restrict__ scores,
                                       int n_kv, int nhead, int nhead_kv, int hd) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x, h = blockIdx.y;
    if (t >= n_kv) return;
    const int hk = h / (nhead / nhead_kv);
    const float *qh = q + (size_t)h * hd;
    const __half *kr = k + ((size_t)t * nhead_kv + hk) * hd;
    float s = 0.0f;
    for (int d = 0; d < hd; d++) s += qh[d] * __half2float(kr[d]);
    scores[(size_t)h * n_kv + t] = s;
}

// out[h][d] = Σ_t p[h][t] · v[t][h / g][d]. Launch: block = hd threads (≤ 1024), grid = nhead.
extern "C" __global__ void attn_values(const float *__restrict__ p, const __half *__restrict__ v, float *__restrict__ out,
                                       int n_kv, int nhead, int nhead_kv, int hd) {
    const int h = blockIdx.x, d = threadIdx.x;
    if (d >= hd) return;
    const int hk = h / (nhead / nhead_kv);
    const float *ph = p + (size_t)h * n_kv;
    float s = 0.0f;
    for (int t = 0; t < n_kv; t++) s += ph[t] * __half2float(v[((size_t)t * nhead_kv + hk) * hd + d]);
    out[(size_t)h * hd + d] = s;
}
