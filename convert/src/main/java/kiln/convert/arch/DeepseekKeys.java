package kiln.convert.arch;

import kiln.tensor.gguf.MlaLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

/**
 * The deepseek2.* keys, in the order and with the types each reference converter writes them
 * (spec gguf-and-quants.md §6.5 for mainline; ik-llama-formats.md §1.2 and ik's DeepseekV2Model for ik).
 */
public final class DeepseekKeys {
    private DeepseekKeys() {}

    private static final String A = "deepseek2.";

    /** Appends the architecture keys (general.file_type among them) to {@code m}. */
    public static void write(GgufMetadata m, DeepseekParams p, MlaLayout layout, boolean expertGroups, int fileType) {
        if (layout == MlaLayout.MAINLINE) writeMainline(m, p, fileType);
        else writeIk(m, p, expertGroups, fileType);
    }

    private static void writeMainline(GgufMetadata m, DeepseekParams p, int fileType) {
        u32(m, "block_count", p.nLayer());
        if (p.ctx() != null) u32(m, "context_length", p.ctx());
        u32(m, "embedding_length", p.embd());
        if (p.ff() != null) u32(m, "feed_forward_length", p.ff());
        u32(m, "attention.head_count", p.nHead());
        u32(m, "attention.head_count_kv", 1);
        ropeScalingCommon(m, p.ropeScaling());
        if (p.ropeTheta() != null) f32(m, "rope.freq_base", p.ropeTheta());
        f32(m, "attention.layer_norm_rms_epsilon", p.rmsEps() != null ? p.rmsEps() : 1e-6);
        if (p.nExpert() != null) u32(m, "expert_count", p.nExpert());
        if (p.nExpertUsed() != null) u32(m, "expert_used_count", p.nExpertUsed());
        if (p.nGroup() != null) u32(m, "expert_group_count", p.nGroup());
        if (p.topkGroup() != null) u32(m, "expert_group_used_count", p.topkGroup());
        if (p.gating() != null) u32(m, "expert_gating_func", p.gating());
        u32(m, "attention.key_length", p.kvLora() + p.rope());
        u32(m, "attention.value_length", p.kvLora());
        m.put("general.file_type", GgufValue.ofU32(fileType));
        u32(m, "leading_dense_block_count", p.leadingDense());
        u32(m, "vocab_size", p.vocab());
        if (p.qLora() != null) u32(m, "attention.q_lora_rank", p.qLora());
        u32(m, "attention.kv_lora_rank", p.kvLora());
        u32(m, "attention.key_length", p.kvLora() + p.rope());
        u32(m, "attention.value_length", p.kvLora());
        u32(m, "attention.key_length_mla", p.nope() + p.rope());
        u32(m, "attention.value_length_mla", p.v());
        u32(m, "expert_feed_forward_length", p.expertFf() != null ? p.expertFf() : (p.ff() != null ? p.ff() : 0));
        if (p.nExpert() != null) u32(m, "expert_count", p.nExpert());
        u32(m, "expert_shared_count", p.nShared());
        if (p.weightsScale() != null) f32(m, "expert_weights_scale", p.weightsScale());
        if (Boolean.TRUE.equals(p.normTopk())) m.put(A + "expert_weights_norm", GgufValue.ofBool(true));
        u32(m, "rope.dimension_count", p.rope());
        RopeScaling rs = p.ropeScaling();
        if (rs != null && rs.mscaleAllDim() != null) f32(m, "rope.scaling.yarn_log_multiplier", 0.1 * rs.mscaleAllDim());
    }

    private static void ropeScalingCommon(GgufMetadata m, RopeScaling rs) {
        if (rs == null) return;
        switch (rs.type()) {
            case "linear" -> {
                str(m, "rope.scaling.type", "linear");
                f32(m, "rope.scaling.factor", rs.factor());
            }
            case "yarn" -> {
                str(m, "rope.scaling.type", "yarn");
                f32(m, "rope.scaling.factor", rs.factor());
                if (rs.originalContext() != null) u32(m, "rope.scaling.original_context_length", rs.originalContext());
                if (rs.extFactor() != null) f32(m, "rope.scaling.yarn_ext_factor", rs.extFactor());
                if (rs.attnFactor() != null) f32(m, "rope.scaling.yarn_attn_factor", rs.attnFactor());
                if (rs.betaFast() != null) f32(m, "rope.scaling.yarn_beta_fast", rs.betaFast());
                if (rs.betaSlow() != null) f32(m, "rope.scaling.yarn_beta_slow", rs.betaSlow());
            }
            case "longrope", "su" -> str(m, "rope.scaling.type", "longrope");
            default -> { }
        }
    }

    private static void writeIk(GgufMetadata m, DeepseekParams p, boolean expertGroups, int fileType) {
        u32(m, "block_count", p.nLayer());
        if (p.ctx() != null) u32(m, "context_length", p.ctx());
        u32(m, "embedding_length", p.embd());
        if (p.ff() != null) u32(m, "feed_forward_length", p.ff());
        u32(m, "attention.head_count", p.nHead());
        if (p.nKvHeadConfig() != null) u32(m, "attention.head_count_kv", p.nKvHeadConfig());
        if (p.ropeTheta() != null) f32(m, "rope.freq_base", p.ropeTheta());
        if (p.rmsEps() != null) f32(m, "attention.layer_norm_rms_epsilon", p.rmsEps());
        if (p.nExpertUsed() != null) u32(m, "expert_used_count", p.nExpertUsed());
        if (expertGroups) {
            if (p.nGroup() != null) u32(m, "expert_group_count", p.nGroup());
            if (p.topkGroup() != null) u32(m, "expert_group_used_count", p.topkGroup());
        }
        m.put("general.file_type", GgufValue.ofU32(fileType));
        u32(m, "leading_dense_block_count", p.leadingDense());
        u32(m, "vocab_size", p.vocab());
        if (p.qLora() != null) u32(m, "attention.q_lora_rank", p.qLora());
        u32(m, "attention.kv_lora_rank", p.kvLora());
        u32(m, "attention.key_length", p.nope() + p.rope());
        u32(m, "attention.value_length", p.v());
        if (p.expertFf() != null) u32(m, "expert_feed_forward_length", p.expertFf());
        if (p.nExpert() != null) u32(m, "expert_count", p.nExpert());
        u32(m, "expert_shared_count", p.nShared());
        if (p.weightsScale() != null) f32(m, "expert_weights_scale", p.weightsScale());
        if (p.normTopk() != null) m.put(A + "expert_weights_norm", GgufValue.ofBool(p.normTopk()));
        if (p.gating() != null) u32(m, "expert_gating_func", p.gating());
        u32(m, "rope.dimension_count", p.rope());
        RopeScaling rs = p.ropeScaling();
        if (rs != null && rs.factor() != null && "yarn".equals(rs.type()) && rs.mscaleAllDim() != null) {
            str(m, "rope.scaling.type", "yarn");
            f32(m, "rope.scaling.factor", rs.factor());
            if (rs.originalContext() != null) u32(m, "rope.scaling.original_context_length", rs.originalContext());
            f32(m, "rope.scaling.yarn_log_multiplier", 0.1 * rs.mscaleAllDim());
        }
    }

    private static void u32(GgufMetadata m, String k, long v) {
        m.put(A + k, GgufValue.ofU32((int) v));
    }

    private static void f32(GgufMetadata m, String k, double v) {
        m.put(A + k, GgufValue.ofF32((float) v));
    }

    private static void str(GgufMetadata m, String k, String v) {
        m.put(A + k, GgufValue.ofString(v));
    }
}
