// Runs the kernels' per-thread code on the CPU, thread by thread and lane by lane, where there is no GPU: the
// __host__ __device__ functions of src/main/cuda (the same source the PTX is made from) are called from host code.
// The warp shuffles, shared-memory reductions and launch geometry are not covered (they need a device).
// Built and driven by LaneEmulationTest (needs nvcc, not a GPU). Files are raw little-endian arrays.
//   lane_emulation matvec|matmul q8_0|q4_k|q5_k|q6_k|iq4_xs|f32|f16|bf16 ROWS COLS NTOK W X OUT   (matmul: the 8-token tiles)
//   lane_emulation rope NTOK NHEAD STRIDE NDIMS BASE FREQ_SCALE EXT_FACTOR ATTN_FACTOR LOW HIGH X POS OUT
//   lane_emulation attn f16|q8_0 NKV NHEAD NHEAD_KV HD_K HD_V V_STRIDE SCALE Q K V OUT   (K, V: the cache's bytes)
//   lane_emulation swiglu N GATE UP OUT
//   lane_emulation route NTOK N_EXPERT USED N_GROUP GROUP_USED HAS_BIAS SIGMOID NORMALIZE SCALE LOGITS BIAS OUT
//                  (OUT: the ids as floats, then the weights, token by token)
//   lane_emulation store_q8_0 N X OUT     (OUT: N / 32 blocks of 34 bytes)
//   lane_emulation rms_norm N NTOK EPS X W OUT      (256 threads' shares, summed in thread order)
//   lane_emulation softmax ROWS N SCALE X OUT       (256 threads' shares)
#include "matvec_quant.cu"
#include "rope.cu"
#include "attention.cu"
#include "swiglu.cu"
#include "route.cu"
#include "cache_store.cu"
#include "rms_norm.cu"
#include "softmax.cu"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

template <typename T> static std::vector<T> slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    std::vector<T> v(n / sizeof(T));
    if (fread(v.data(), 1, n, f) != (size_t)n) { fprintf(stderr, "short read %s\n", path); exit(2); }
    fclose(f);
    return v;
}

template <typename T> static void spill(const char *path, const std::vector<T> &v) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v.data(), sizeof(T), v.size(), f) != v.size()) { fprintf(stderr, "cannot write %s\n", path); exit(2); }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: see the file's header\n"); return 2; }
    const char *op = argv[1];
    if ((!strcmp(op, "matvec") || !strcmp(op, "matmul")) && argc == 9) {
        const char *type = argv[2];
        int rows = atoi(argv[3]), cols = atoi(argv[4]), ntok = atoi(argv[5]);
        std::vector<uint8_t> w = slurp<uint8_t>(argv[6]);
        std::vector<float> x = slurp<float>(argv[7]), out((size_t)ntok * rows);
        const bool flt = !strcmp(type, "f32") || !strcmp(type, "f16") || !strcmp(type, "bf16");
        int per = !strcmp(type, "q8_0") ? 32 : flt ? 1 : 256;
        size_t bytes = !strcmp(type, "q8_0") ? 34 : !strcmp(type, "q4_k") ? 144 : !strcmp(type, "q5_k") ? 176 : !strcmp(type, "q6_k") ? 210
                     : !strcmp(type, "f32") ? 4 : flt ? 2 : 136;
        int nb = cols / per;
        const int tile = !strcmp(op, "matmul") ? TOKEN_TILE : 1;
        for (int t0 = 0; t0 < ntok; t0 += tile) {
            const int nt = ntok - t0 < tile ? ntok - t0 : tile;
            for (int r = 0; r < rows; r++) {
                const uint8_t *wr = w.data() + (size_t)r * nb * bytes;
                const float *xt = x.data() + (size_t)t0 * cols;
                float sum[TOKEN_TILE] = {0};
                for (int lane = 0; lane < 32; lane++) {
                    float acc[TOKEN_TILE] = {0};
                    if (tile == 1) {
                        if (!strcmp(type, "q8_0")) q8_0_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "q4_k")) q4_k_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "q5_k")) q5_k_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "q6_k")) q6_k_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "iq4_xs")) iq4_xs_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "f32")) f32_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "f16")) f16_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else if (!strcmp(type, "bf16")) bf16_lane<1>(wr, xt, cols, nb, lane, 1, acc);
                        else { fprintf(stderr, "unknown type %s\n", type); return 2; }
                    } else {
                        if (!strcmp(type, "q8_0")) q8_0_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "q4_k")) q4_k_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "q5_k")) q5_k_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "q6_k")) q6_k_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "iq4_xs")) iq4_xs_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "f32")) f32_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "f16")) f16_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else if (!strcmp(type, "bf16")) bf16_lane<TOKEN_TILE>(wr, xt, cols, nb, lane, nt, acc);
                        else { fprintf(stderr, "unknown type %s\n", type); return 2; }
                    }
                    for (int k = 0; k < nt; k++) sum[k] += acc[k];
                }
                for (int k = 0; k < nt; k++) out[(size_t)(t0 + k) * rows + r] = sum[k];
            }
        }
        spill(argv[8], out);
        return 0;
    }
    if (!strcmp(op, "rope") && argc == 15) {
        int ntok = atoi(argv[2]), nhead = atoi(argv[3]), stride = atoi(argv[4]), ndims = atoi(argv[5]);
        float base = atof(argv[6]), fs = atof(argv[7]), ef = atof(argv[8]), af = atof(argv[9]), lo = atof(argv[10]), hi = atof(argv[11]);
        std::vector<float> x = slurp<float>(argv[12]);
        std::vector<int> pos = slurp<int>(argv[13]);
        for (int t = 0; t < ntok; t++)
            for (int h = 0; h < nhead; h++)
                for (int i = 0; i < ndims / 2; i++)
                    rope_pair(x.data() + ((size_t)t * nhead + h) * stride, i, (float)pos[t], ndims, base, fs, ef, af, lo, hi);
        spill(argv[14], x);
        return 0;
    }
    if (!strcmp(op, "attn") && argc == 14) {
        const bool q8 = !strcmp(argv[2], "q8_0");
        int nkv = atoi(argv[3]), nhead = atoi(argv[4]), nheadkv = atoi(argv[5]), hdk = atoi(argv[6]), hdv = atoi(argv[7]), vstride = atoi(argv[8]);
        float scale = atof(argv[9]);
        std::vector<float> q = slurp<float>(argv[10]);
        std::vector<uint8_t> k = slurp<uint8_t>(argv[11]), v = slurp<uint8_t>(argv[12]);
        const __half *kh = reinterpret_cast<const __half *>(k.data()), *vh = reinterpret_cast<const __half *>(v.data());
        std::vector<float> p((size_t)nhead * nkv), out((size_t)nhead * hdv);
        for (int h = 0; h < nhead; h++) {
            float *ph = p.data() + (size_t)h * nkv;
            float m = -INFINITY, s = 0.0f;
            for (int t = 0; t < nkv; t++)
                ph[t] = q8 ? attn_score_one_q8_0(q.data(), k.data(), t, h, nhead, nheadkv, hdk) : attn_score_one(q.data(), kh, t, h, nhead, nheadkv, hdk);
            for (int t = 0; t < nkv; t++) m = fmaxf(m, scale * ph[t]);
            for (int t = 0; t < nkv; t++) s += ph[t] = expf(scale * ph[t] - m);
            for (int t = 0; t < nkv; t++) ph[t] /= s;
        }
        for (int h = 0; h < nhead; h++)
            for (int d = 0; d < hdv; d++)
                out[(size_t)h * hdv + d] = q8 ? attn_value_one_q8_0(p.data(), v.data(), h, d, nkv, nhead, nheadkv, vstride)
                                              : attn_value_one(p.data(), vh, h, d, nkv, nhead, nheadkv, vstride);
        spill(argv[13], out);
        return 0;
    }
    if (!strcmp(op, "swiglu") && argc == 6) {
        long n = atol(argv[2]);
        std::vector<float> g = slurp<float>(argv[3]), u = slurp<float>(argv[4]), out(n);
        for (long i = 0; i < n; i++) out[i] = swiglu_one(g[i], u[i]);
        spill(argv[5], out);
        return 0;
    }
    if (!strcmp(op, "route") && argc == 14) {
        int ntok = atoi(argv[2]), n = atoi(argv[3]), used = atoi(argv[4]), ng = atoi(argv[5]), gu = atoi(argv[6]);
        int has_bias = atoi(argv[7]), sig = atoi(argv[8]), norm = atoi(argv[9]);
        float scale = atof(argv[10]);
        std::vector<float> logits = slurp<float>(argv[11]), bias = slurp<float>(argv[12]), scratch(2 * (size_t)n), out(2 * (size_t)ntok * used);
        std::vector<int> ids(used);
        std::vector<float> w(used);
        for (int t = 0; t < ntok; t++) {
            route_one(logits.data() + (size_t)t * n, bias.data(), scratch.data(), scratch.data() + n, ids.data(), w.data(), n, used, ng, gu,
                      has_bias, sig, norm, scale);
            for (int k = 0; k < used; k++) {
                out[(size_t)t * used + k] = (float)ids[k];
                out[(size_t)ntok * used + (size_t)t * used + k] = w[k];
            }
        }
        spill(argv[13], out);
        return 0;
    }
    if (!strcmp(op, "store_q8_0") && argc == 5) {
        long n = atol(argv[2]);
        std::vector<float> x = slurp<float>(argv[3]);
        std::vector<uint8_t> out((size_t)n / 32 * 34);
        for (long b = 0; b < n / 32; b++) q8_0_block(x.data() + b * 32, out.data() + b * 34);
        spill(argv[4], out);
        return 0;
    }
    if (!strcmp(op, "rms_norm") && argc == 8) {
        int n = atoi(argv[2]), ntok = atoi(argv[3]);
        float eps = atof(argv[4]);
        std::vector<float> x = slurp<float>(argv[5]), w = slurp<float>(argv[6]), out((size_t)n * ntok);
        for (int t = 0; t < ntok; t++) {
            const float *xr = x.data() + (size_t)t * n;
            float sum = 0.0f;
            for (int tid = 0; tid < 256; tid++) sum += rms_partial(xr, n, tid, 256);
            const float scale = rms_scale(sum, n, eps);
            for (int tid = 0; tid < 256; tid++) rms_apply(xr, w.data(), out.data() + (size_t)t * n, n, tid, 256, scale);
        }
        spill(argv[7], out);
        return 0;
    }
    if (!strcmp(op, "softmax") && argc == 7) {
        int rows = atoi(argv[2]), n = atoi(argv[3]);
        float scale = atof(argv[4]);
        std::vector<float> x = slurp<float>(argv[5]);
        for (int r = 0; r < rows; r++) {
            float *row = x.data() + (size_t)r * n;
            float m = -INFINITY, sum = 0.0f;
            for (int tid = 0; tid < 256; tid++) m = fmaxf(m, softmax_max_part(row, n, scale, tid, 256));
            for (int tid = 0; tid < 256; tid++) sum += softmax_exp_part(row, n, scale, m, tid, 256);
            for (int tid = 0; tid < 256; tid++) softmax_div(row, n, sum, tid, 256);
        }
        spill(argv[6], x);
        return 0;
    }
    fprintf(stderr, "bad arguments for %s\n", op);
    return 2;
}
