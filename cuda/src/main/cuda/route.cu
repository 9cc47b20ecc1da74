// DeepSeek expert routing for each token (llama.cpp's build_moe_ffn selection, HF's MoEGate): gate probabilities by
// softmax (DeepSeek-V2) or sigmoid (V3/R1); selection scores = probabilities + exp_probs_b when the model has it;
// with n_group > 1 only the group_used groups with the best sum of their two best selection scores stay eligible;
// the used best experts are chosen (highest score first, ties to the lower index); their weights are the
// probabilities (without the bias), divided by their sum (clamped below at 2^-14, as ggml_clamp does) when
// normalize is set, times scale (expert_weights_scale).
// Launch: grid = ntok, block = 32 (thread 0 works: 256 experts × 8 picks is a few thousand steps).
// scratch: ntok × 2 × n_expert floats. ids: ntok × used ints; weights: ntok × used floats.

__host__ __device__ __forceinline__ void route_one(const float *logits, const float *bias, float *probs, float *select, int *ids, float *w,
                                                   int n_expert, int used, int n_group, int group_used, int has_bias, int sigmoid,
                                                   int normalize, float scale) {
    if (sigmoid) {
        for (int e = 0; e < n_expert; e++) probs[e] = 1.0f / (1.0f + expf(-logits[e]));
    } else {
        float m = -INFINITY, s = 0.0f;
        for (int e = 0; e < n_expert; e++) m = fmaxf(m, logits[e]);
        for (int e = 0; e < n_expert; e++) s += probs[e] = expf(logits[e] - m);
        for (int e = 0; e < n_expert; e++) probs[e] /= s;
    }
    for (int e = 0; e < n_expert; e++) select[e] = has_bias ? probs[e] + bias[e] : probs[e];
    if (n_group > 1) {
        const int per = n_expert / n_group;
        unsigned kept = 0; // bit g: group g stays (n_group ≤ 32)
        for (int k = 0; k < group_used; k++) {
            int arg = -1;
            float best_score = -INFINITY;
            for (int g = 0; g < n_group; g++) {
                if (kept >> g & 1u) continue;
                float a = -INFINITY, b = -INFINITY;
                for (int e = g * per; e < (g + 1) * per; e++) {
                    const float v = select[e];
                    if (v > a) { b = a; a = v; } else if (v > b) { b = v; }
                }
                const float score = per >= 2 ? a + b : a;
                if (arg < 0 || score > best_score) { arg = g; best_score = score; }
            }
            kept |= 1u << arg;
        }
        for (int e = 0; e < n_expert; e++) if (!(kept >> (e / per) & 1u)) select[e] = -INFINITY;
    }
    float sum = 0.0f;
    for (int k = 0; k < used; k++) {
        int arg = -1;
        for (int e = 0; e < n_expert; e++) {
            bool taken = false;
            for (int j = 0; j < k; j++) taken |= ids[j] == e;
            if (!taken && (arg < 0 || select[e] > select[arg])) arg = e;
        }
        ids[k] = arg;
        w[k] = probs[arg];
        sum += probs[arg];
    }
    const float d = normalize ? fmaxf(sum, 6.103515625e-5f) : 1.0f;
    for (int k = 0; k < used; k++) w[k] = w[k] / d * scale;
}

extern "C" __global__ void route_experts(const float *__restrict__ logits, const float *__restrict__ bias, float *scratch, int *ids, float *weights,
                                         int n_expert, int used, int n_group, int group_used, int has_bias, int sigmoid, int normalize, float scale) {
    if (threadIdx.x != 0) return;
    const int t = blockIdx.x;
    route_one(logits + (size_t)t * n_expert, bias, scratch + (size_t)t * 2 * n_expert, scratch + ((size_t)t * 2 + 1) * n_expert,
              ids + (size_t)t * used, weights + (size_t)t * used, n_expert, used, n_group, group_used, has_bias, sigmoid, normalize, scale);
}
