package kiln.cuda.place;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * Model inventories without data, for planning a model one does not have on disk: DeepSeek-R1 (671B, the V3
 * shapes) with a Q4_K_M-like mix (Q4_K weights, Q6_K for ffn_down, ffn_down_exps and the output head, Q8_0 for
 * attn_k_b/attn_v_b, f32 norms and router), in mainline's MLA layout (attn_k_b + attn_v_b, no attn_kv_b).
 */
public final class SyntheticInventory {
    private SyntheticInventory() {}

    public static final List<String> NAMES = List.of("deepseek-r1");

    public static Inventory named(String name) {
        if (name.equals("deepseek-r1")) return deepseekR1();
        throw new KilnException("--synthetic '" + name + "' is not a synthetic model; known: " + String.join(", ", NAMES));
    }

    public static Inventory deepseekR1() {
        int nLayer = 61, dense = 3, nExpert = 256;
        long embd = 7168, ff = 18432, ffExp = 2048, vocab = 129280, heads = 128, qLora = 1536, kvLora = 512, rope = 64, nope = 128, vDim = 128;
        GgufMetadata md = new GgufMetadata();
        String a = "deepseek2.";
        md.put("general.architecture", GgufValue.ofString("deepseek2"));
        md.put(a + "block_count", GgufValue.ofU32(nLayer));
        md.put(a + "context_length", GgufValue.ofU32(163840));
        md.put(a + "embedding_length", GgufValue.ofU32((int) embd));
        md.put(a + "feed_forward_length", GgufValue.ofU32((int) ff));
        md.put(a + "attention.head_count", GgufValue.ofU32((int) heads));
        md.put(a + "attention.head_count_kv", GgufValue.ofU32((int) heads));
        md.put(a + "attention.key_length", GgufValue.ofU32((int) (nope + rope)));
        md.put(a + "attention.value_length", GgufValue.ofU32((int) vDim));
        md.put(a + "attention.q_lora_rank", GgufValue.ofU32((int) qLora));
        md.put(a + "attention.kv_lora_rank", GgufValue.ofU32((int) kvLora));
        md.put(a + "rope.dimension_count", GgufValue.ofU32((int) rope));
        md.put(a + "expert_feed_forward_length", GgufValue.ofU32((int) ffExp));
        md.put(a + "expert_count", GgufValue.ofU32(nExpert));
        md.put(a + "expert_used_count", GgufValue.ofU32(8));
        md.put(a + "expert_shared_count", GgufValue.ofU32(1));
        md.put(a + "leading_dense_block_count", GgufValue.ofU32(dense));
        List<TensorInfo> ts = new ArrayList<>();
        GgmlType q4 = GgmlType.Q4_K, q6 = GgmlType.Q6_K, q8 = GgmlType.Q8_0, f32 = GgmlType.F32;
        ts.add(t("token_embd.weight", q4, embd, vocab));
        for (int i = 0; i < nLayer; i++) {
            String b = "blk." + i + ".";
            ts.add(t(b + "attn_norm.weight", f32, embd));
            ts.add(t(b + "attn_q_a_norm.weight", f32, qLora));
            ts.add(t(b + "attn_kv_a_norm.weight", f32, kvLora));
            ts.add(t(b + "attn_q_a.weight", q4, embd, qLora));
            ts.add(t(b + "attn_q_b.weight", q4, qLora, heads * (nope + rope)));
            ts.add(t(b + "attn_kv_a_mqa.weight", q4, embd, kvLora + rope));
            ts.add(t(b + "attn_k_b.weight", q8, nope, kvLora, heads));
            ts.add(t(b + "attn_v_b.weight", q8, kvLora, vDim, heads));
            ts.add(t(b + "attn_output.weight", q4, heads * vDim, embd));
            ts.add(t(b + "ffn_norm.weight", f32, embd));
            if (i < dense) {
                ts.add(t(b + "ffn_gate.weight", q4, embd, ff));
                ts.add(t(b + "ffn_up.weight", q4, embd, ff));
                ts.add(t(b + "ffn_down.weight", q6, ff, embd));
            } else {
                ts.add(t(b + "ffn_gate_inp.weight", f32, embd, nExpert));
                ts.add(t(b + "exp_probs_b.bias", f32, nExpert));
                ts.add(t(b + "ffn_gate_exps.weight", q4, embd, ffExp, nExpert));
                ts.add(t(b + "ffn_up_exps.weight", q4, embd, ffExp, nExpert));
                ts.add(t(b + "ffn_down_exps.weight", q6, ffExp, embd, nExpert));
                ts.add(t(b + "ffn_gate_shexp.weight", q4, embd, ffExp));
                ts.add(t(b + "ffn_up_shexp.weight", q4, embd, ffExp));
                ts.add(t(b + "ffn_down_shexp.weight", q6, ffExp, embd));
            }
        }
        ts.add(t("output_norm.weight", f32, embd));
        ts.add(t("output.weight", q6, embd, vocab));
        return Inventory.of(md, ts);
    }

    private static TensorInfo t(String name, GgmlType type, long... ne) {
        return new TensorInfo(name, type, ne, 0, 0);
    }
}
