package kiln.convert.arch;

import kiln.convert.hf.JsonDoc;
import kiln.tensor.KilnException;

/**
 * The hyper-parameters of a DeepSeek-V2/V3 model, read from the official config keys (never from the derived
 * {@code head_dim} transformers adds). Nullable fields are optional in the config.
 */
public record DeepseekParams(long nLayer, Long ctx, long embd, Long ff, long nHead, Long nKvHeadConfig, Double ropeTheta,
                             Double rmsEps, Long nExpert, Long nExpertUsed, Long nGroup, Long topkGroup, Integer gating,
                             long leadingDense, long vocab, Long qLora, long kvLora, long nope, long rope, long v, Long expertFf,
                             long nShared, Double weightsScale, Boolean normTopk, RopeScaling ropeScaling) {

    public static DeepseekParams fromConfig(JsonDoc c, Long qLoraFromTensors) {
        long nLayer = c.requireLong("num_hidden_layers");
        Long nExpert = c.optLong("n_routed_experts");
        Long firstDense = c.optLong("first_k_dense_replace");
        long leading = firstDense != null ? firstDense : (nExpert == null ? nLayer : 0);
        Long qLora = c.optLong("q_lora_rank");
        if (qLora == null) qLora = qLoraFromTensors;
        Integer gating = null;
        String sf = c.optString("scoring_func");
        if (sf != null) {
            gating = switch (sf) {
                case "softmax" -> 1;
                case "sigmoid" -> 2;
                case "sqrtsoftplus" -> 4;
                default -> throw new KilnException(c.file() + ": key 'scoring_func' is \"" + sf + "\", expected softmax, sigmoid or sqrtsoftplus");
            };
        }
        Boolean norm = c.has("norm_topk_prob") ? c.truthy("norm_topk_prob") : null;
        Long kvLora = c.optLong("kv_lora_rank");
        return new DeepseekParams(nLayer, c.optLong("max_position_embeddings"), c.requireLong("hidden_size"),
                c.optLong("intermediate_size"), c.requireLong("num_attention_heads"), c.optLong("num_key_value_heads"),
                c.optDouble("rope_theta"), c.optDouble("rms_norm_eps"), nExpert, c.optLong("num_experts_per_tok"),
                c.optLong("n_group"), c.optLong("topk_group"), gating, leading, c.requireLong("vocab_size"), qLora,
                kvLora != null ? kvLora : 512, c.requireLong("qk_nope_head_dim"), c.requireLong("qk_rope_head_dim"),
                c.requireLong("v_head_dim"), c.optLong("moe_intermediate_size"), c.optLong("n_shared_experts") == null ? 0 : c.optLong("n_shared_experts"),
                c.optDouble("routed_scaling_factor"), norm, RopeScaling.fromConfig(c));
    }

    public boolean isMoe() {
        return nExpert != null && nExpert > 0;
    }

    public boolean isMoeLayer(long layer) {
        return isMoe() && layer >= leadingDense;
    }
}
