package kiln.validate;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

import java.util.ArrayList;
import java.util.List;

/**
 * A deepseek2 model's header (metadata + tensor list, no weights) in any of the three MLA layouts, built the way
 * the converters write it (spec ik-llama-formats.md §1.2–1.3). Defaults are DeepSeek-R1's sizes (§1.1).
 */
final class SyntheticDeepseek {
    enum Layout { IK, MAINLINE, LEGACY }

    long layers = 61, dense = 3, embd = 7168, heads = 128, qLora = 1536, kvLora = 512, nope = 128, rope = 64, v = 128;
    long experts = 256, used = 8, shared = 1, ff = 18432, ffExp = 2048, vocab = 129280;
    boolean withQLora = true;
    boolean writeQLoraKey = true;
    long groups = 0, groupsUsed = 0;
    Layout layout = Layout.IK;
    GgmlType matrix = GgmlType.BF16;

    GgufLayout build() {
        GgufMetadata md = new GgufMetadata("synthetic");
        String a = "deepseek2.";
        md.put("general.architecture", GgufValue.ofString("deepseek2"));
        md.put("general.name", GgufValue.ofString("synthetic " + layout));
        md.put(a + "block_count", GgufValue.ofU32((int) layers));
        md.put(a + "context_length", GgufValue.ofU32(163840));
        md.put(a + "embedding_length", GgufValue.ofU32((int) embd));
        md.put(a + "feed_forward_length", GgufValue.ofU32((int) ff));
        md.put(a + "attention.head_count", GgufValue.ofU32((int) heads));
        boolean mainline = layout == Layout.MAINLINE;
        md.put(a + "attention.head_count_kv", GgufValue.ofU32((int) (mainline ? 1 : heads)));
        md.put(a + "rope.freq_base", GgufValue.ofF32(10000f));
        md.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofF32(1e-6f));
        md.put(a + "expert_used_count", GgufValue.ofU32((int) used));
        if (groups > 0) {
            md.put(a + "expert_group_count", GgufValue.ofU32((int) groups));
            md.put(a + "expert_group_used_count", GgufValue.ofU32((int) groupsUsed));
        }
        md.put(a + "leading_dense_block_count", GgufValue.ofU32((int) dense));
        md.put(a + "vocab_size", GgufValue.ofU32((int) vocab));
        if (withQLora && writeQLoraKey) md.put(a + "attention.q_lora_rank", GgufValue.ofU32((int) qLora));
        md.put(a + "attention.kv_lora_rank", GgufValue.ofU32((int) kvLora));
        md.put(a + "attention.key_length", GgufValue.ofU32((int) (mainline ? kvLora + rope : nope + rope)));
        md.put(a + "attention.value_length", GgufValue.ofU32((int) (mainline ? kvLora : v)));
        if (mainline) {
            md.put(a + "attention.key_length_mla", GgufValue.ofU32((int) (nope + rope)));
            md.put(a + "attention.value_length_mla", GgufValue.ofU32((int) v));
        }
        md.put(a + "expert_feed_forward_length", GgufValue.ofU32((int) ffExp));
        md.put(a + "expert_count", GgufValue.ofU32((int) experts));
        md.put(a + "expert_shared_count", GgufValue.ofU32((int) shared));
        md.put(a + "expert_weights_scale", GgufValue.ofF32(2.5f));
        md.put(a + "expert_weights_norm", GgufValue.ofBool(true));
        md.put(a + "expert_gating_func", GgufValue.ofU32(2));
        md.put(a + "rope.dimension_count", GgufValue.ofU32((int) rope));

        List<GgufLayout.Entry> t = new ArrayList<>();
        t.add(w("token_embd.weight", embd, vocab));
        for (long i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            t.add(n(p + "attn_norm.weight", embd));
            if (withQLora) {
                t.add(n(p + "attn_q_a_norm.weight", qLora));
                t.add(w(p + "attn_q_a.weight", embd, qLora));
                t.add(w(p + "attn_q_b.weight", qLora, heads * (nope + rope)));
            } else {
                t.add(w(p + "attn_q.weight", embd, heads * (nope + rope)));
            }
            t.add(n(p + "attn_kv_a_norm.weight", kvLora));
            t.add(w(p + "attn_kv_a_mqa.weight", embd, kvLora + rope));
            switch (layout) {
                case IK -> {
                    t.add(w(p + "attn_kv_b.weight", kvLora, heads * (nope + v)));
                    t.add(w(p + "attn_k_b.weight", nope, heads * kvLora));
                    t.add(w(p + "attn_v_b.weight", kvLora, heads * v));
                }
                case MAINLINE -> {
                    t.add(w(p + "attn_k_b.weight", nope, kvLora, heads));
                    t.add(w(p + "attn_v_b.weight", kvLora, v, heads));
                }
                case LEGACY -> t.add(w(p + "attn_kv_b.weight", kvLora, heads * (nope + v)));
            }
            t.add(w(p + "attn_output.weight", heads * v, embd));
            t.add(n(p + "ffn_norm.weight", embd));
            if (i < dense) {
                t.add(w(p + "ffn_gate.weight", embd, ff));
                t.add(w(p + "ffn_down.weight", ff, embd));
                t.add(w(p + "ffn_up.weight", embd, ff));
            } else {
                t.add(n(p + "ffn_gate_inp.weight", embd, experts));
                t.add(n(p + "exp_probs_b.bias", experts));
                t.add(w(p + "ffn_gate_exps.weight", embd, ffExp, experts));
                t.add(w(p + "ffn_down_exps.weight", ffExp, embd, experts));
                t.add(w(p + "ffn_up_exps.weight", embd, ffExp, experts));
                t.add(w(p + "ffn_gate_shexp.weight", embd, ffExp * shared));
                t.add(w(p + "ffn_down_shexp.weight", ffExp * shared, embd));
                t.add(w(p + "ffn_up_shexp.weight", embd, ffExp * shared));
            }
        }
        t.add(n("output_norm.weight", embd));
        t.add(w("output.weight", embd, vocab));
        return new GgufLayout(md, t);
    }

    ModelView view() {
        GgufLayout l = build();
        return new ModelView("synthetic", l.metadata(), l.tensors());
    }

    private GgufLayout.Entry w(String name, long... ne) {
        return new GgufLayout.Entry(name, matrix, ne);
    }

    private static GgufLayout.Entry n(String name, long... ne) {
        return new GgufLayout.Entry(name, GgmlType.F32, ne);
    }
}
