package kiln.bench.synth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tensor list and config.json of a preset, named as HuggingFace's DeepseekV2/Llama classes name them. */
final class SynthModel {
    private SynthModel() {}

    static List<SynthTensor> tensors(Preset p) {
        List<SynthTensor> t = new ArrayList<>();
        long h = p.hidden();
        t.add(new SynthTensor("model.embed_tokens.weight", new long[]{p.vocab(), h}, false));
        for (int l = 0; l < p.layers(); l++) {
            String b = "model.layers." + l + ".";
            t.add(new SynthTensor(b + "input_layernorm.weight", new long[]{h}, true));
            t.add(new SynthTensor(b + "post_attention_layernorm.weight", new long[]{h}, true));
            if (p.deepseek()) {
                long qHead = p.qkNope() + p.qkRope();
                if (p.qLoraRank() > 0) {
                    t.add(new SynthTensor(b + "self_attn.q_a_proj.weight", new long[]{p.qLoraRank(), h}, false));
                    t.add(new SynthTensor(b + "self_attn.q_a_layernorm.weight", new long[]{p.qLoraRank()}, true));
                    t.add(new SynthTensor(b + "self_attn.q_b_proj.weight", new long[]{p.heads() * qHead, p.qLoraRank()}, false));
                } else {
                    t.add(new SynthTensor(b + "self_attn.q_proj.weight", new long[]{p.heads() * qHead, h}, false));
                }
                t.add(new SynthTensor(b + "self_attn.kv_a_proj_with_mqa.weight", new long[]{p.kvLoraRank() + p.qkRope(), h}, false));
                t.add(new SynthTensor(b + "self_attn.kv_a_layernorm.weight", new long[]{p.kvLoraRank()}, true));
                t.add(new SynthTensor(b + "self_attn.kv_b_proj.weight", new long[]{(long) p.heads() * (p.qkNope() + p.vHead()), p.kvLoraRank()}, false));
                t.add(new SynthTensor(b + "self_attn.o_proj.weight", new long[]{h, (long) p.heads() * p.vHead()}, false));
                if (l < p.firstDense()) {
                    mlp(t, b + "mlp.", h, p.ffn());
                } else {
                    t.add(new SynthTensor(b + "mlp.gate.weight", new long[]{p.experts(), h}, false));
                    for (int e = 0; e < p.experts(); e++) mlp(t, b + "mlp.experts." + e + ".", h, p.moeFfn());
                    mlp(t, b + "mlp.shared_experts.", h, (long) p.moeFfn() * p.sharedExperts());
                }
            } else {
                long hd = p.headDim();
                t.add(new SynthTensor(b + "self_attn.q_proj.weight", new long[]{p.heads() * hd, h}, false));
                t.add(new SynthTensor(b + "self_attn.k_proj.weight", new long[]{p.kvHeads() * hd, h}, false));
                t.add(new SynthTensor(b + "self_attn.v_proj.weight", new long[]{p.kvHeads() * hd, h}, false));
                t.add(new SynthTensor(b + "self_attn.o_proj.weight", new long[]{h, p.heads() * hd}, false));
                mlp(t, b + "mlp.", h, p.ffn());
            }
        }
        t.add(new SynthTensor("model.norm.weight", new long[]{h}, true));
        t.add(new SynthTensor("lm_head.weight", new long[]{p.vocab(), h}, false));
        return t;
    }

    private static void mlp(List<SynthTensor> t, String b, long h, long ffn) {
        t.add(new SynthTensor(b + "gate_proj.weight", new long[]{ffn, h}, false));
        t.add(new SynthTensor(b + "up_proj.weight", new long[]{ffn, h}, false));
        t.add(new SynthTensor(b + "down_proj.weight", new long[]{h, ffn}, false));
    }

    static Map<String, Object> config(Preset p) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (p.deepseek()) {
            c.put("architectures", List.of("DeepseekV2ForCausalLM"));
            c.put("model_type", "deepseek_v2");
            c.put("attention_bias", false);
            c.put("bos_token_id", 0);
            c.put("eos_token_id", 1);
            c.put("first_k_dense_replace", p.firstDense());
            c.put("hidden_act", "silu");
            c.put("hidden_size", p.hidden());
            c.put("intermediate_size", p.ffn());
            c.put("kv_lora_rank", p.kvLoraRank());
            c.put("max_position_embeddings", 163840);
            c.put("moe_intermediate_size", p.moeFfn());
            c.put("moe_layer_freq", 1);
            c.put("n_group", 1);
            c.put("n_routed_experts", p.experts());
            c.put("n_shared_experts", p.sharedExperts());
            c.put("norm_topk_prob", false);
            c.put("num_attention_heads", p.heads());
            c.put("num_experts_per_tok", p.expertsUsed());
            c.put("num_hidden_layers", p.layers());
            c.put("num_key_value_heads", p.heads());
            c.put("q_lora_rank", p.qLoraRank() > 0 ? p.qLoraRank() : null);
            c.put("qk_nope_head_dim", p.qkNope());
            c.put("qk_rope_head_dim", p.qkRope());
            c.put("rms_norm_eps", 1e-6);
            Map<String, Object> yarn = new LinkedHashMap<>();
            yarn.put("beta_fast", 32);
            yarn.put("beta_slow", 1);
            yarn.put("factor", 40);
            yarn.put("mscale", 0.707);
            yarn.put("mscale_all_dim", 0.707);
            yarn.put("original_max_position_embeddings", 4096);
            yarn.put("type", "yarn");
            c.put("rope_scaling", yarn);
            c.put("rope_theta", 10000);
            c.put("routed_scaling_factor", 1.0);
            c.put("scoring_func", "softmax");
            c.put("tie_word_embeddings", false);
            c.put("topk_group", 1);
            c.put("topk_method", "greedy");
            c.put("torch_dtype", "bfloat16");
            c.put("v_head_dim", p.vHead());
            c.put("vocab_size", p.vocab());
        } else {
            c.put("architectures", List.of("LlamaForCausalLM"));
            c.put("model_type", "llama");
            c.put("bos_token_id", 0);
            c.put("eos_token_id", 1);
            c.put("hidden_act", "silu");
            c.put("hidden_size", p.hidden());
            c.put("intermediate_size", p.ffn());
            c.put("max_position_embeddings", 4096);
            c.put("num_attention_heads", p.heads());
            c.put("num_hidden_layers", p.layers());
            c.put("num_key_value_heads", p.kvHeads());
            c.put("rms_norm_eps", 1e-5);
            c.put("rope_theta", 10000.0);
            c.put("tie_word_embeddings", false);
            c.put("torch_dtype", "bfloat16");
            c.put("vocab_size", p.vocab());
        }
        return c;
    }
}
