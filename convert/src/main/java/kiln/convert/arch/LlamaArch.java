package kiln.convert.arch;

import kiln.convert.hf.JsonDoc;
import kiln.convert.tensors.Views;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** LlamaForCausalLM → llama (dense, with the Q/K permutation), keys as llama.cpp's converter writes them. */
public final class LlamaArch implements Architecture {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");

    private final String source;
    private final JsonDoc c;
    private final long nLayer;
    private final long embd;
    private final long ff;
    private final long nHead;
    private final long nKv;
    private final long headDim;
    private final long vocab;
    private final boolean tied;
    private final float[] ropeFreqs;

    public LlamaArch(String source, JsonDoc config) {
        this.source = source;
        this.c = config;
        this.nLayer = config.requireLong("num_hidden_layers", "n_layers", "n_layer", "num_layers");
        this.embd = config.requireLong("hidden_size", "n_embd", "dim");
        this.ff = config.requireLong("intermediate_size", "n_inner", "hidden_dim");
        this.nHead = config.requireLong("num_attention_heads", "n_head", "n_heads");
        Long kv = config.optLong("num_key_value_heads", "n_kv_heads");
        this.nKv = kv != null ? kv : nHead;
        Long hd = config.optLong("head_dim");
        this.headDim = hd != null ? hd : embd / nHead;
        this.vocab = config.requireLong("vocab_size");
        this.tied = config.truthy("tie_word_embeddings");
        RopeScaling rs = RopeScaling.fromConfig(config);
        JsonDoc rsDoc = config.child("rope_scaling") != null ? config.child("rope_scaling") : config.child("rope_parameters");
        this.ropeFreqs = rs != null && rs.type().equalsIgnoreCase("llama3")
                ? Llama3RopeFreqs.factors(config, rsDoc, embd / nHead) : null;
        if (config.truthy("attention_bias") || config.truthy("mlp_bias")) {
            throw new KilnException(config.file() + ": attention_bias/mlp_bias are not supported by Kiln yet");
        }
        if (config.has("num_local_experts")) {
            throw new KilnException(config.file() + ": Mixtral-style MoE Llama models are not supported by Kiln yet");
        }
    }

    @Override
    public String name() {
        return "llama";
    }

    @Override
    public boolean quantVersionLast() {
        return false;
    }

    @Override
    public void check(Map<String, Input> inputs) {
        Expect x = new Expect(source);
        x.req("model.embed_tokens.weight", vocab, embd);
        x.req("model.norm.weight", embd);
        x.opt("lm_head.weight", vocab, embd);
        for (long l = 0; l < nLayer; l++) {
            String b = "model.layers." + l + ".";
            x.req(b + "input_layernorm.weight", embd);
            x.req(b + "post_attention_layernorm.weight", embd);
            x.req(b + "self_attn.q_proj.weight", nHead * headDim, embd);
            x.req(b + "self_attn.k_proj.weight", nKv * headDim, embd);
            x.req(b + "self_attn.v_proj.weight", nKv * headDim, embd);
            x.req(b + "self_attn.o_proj.weight", embd, nHead * headDim);
            x.req(b + "mlp.gate_proj.weight", ff, embd);
            x.req(b + "mlp.up_proj.weight", ff, embd);
            x.req(b + "mlp.down_proj.weight", embd, ff);
        }
        x.check(inputs, n -> n.endsWith(".rotary_emb.inv_freq") || n.endsWith(".attention.masked_bias") || n.endsWith(".attention.bias"));
    }

    @Override
    public List<Mapped> map(List<Input> inputs) {
        List<Mapped> out = new ArrayList<>();
        if (ropeFreqs != null) {
            out.add(new Mapped("rope_freqs.weight", "rope_freqs.weight", Llama3RopeFreqs.data(ropeFreqs), new long[]{ropeFreqs.length}));
        }
        for (Input in : inputs) {
            String name = in.hfName();
            if (name.endsWith(".rotary_emb.inv_freq") || name.endsWith(".attention.masked_bias") || name.endsWith(".attention.bias")) continue;
            if (tied && name.equals("lm_head.weight")) continue;
            Matcher m = LAYER.matcher(name);
            if (!m.matches()) {
                String g = switch (name) {
                    case "model.embed_tokens.weight" -> "token_embd.weight";
                    case "model.norm.weight" -> "output_norm.weight";
                    case "lm_head.weight" -> "output.weight";
                    default -> throw new KilnException(source + ": cannot map tensor '" + name + "'");
                };
                out.add(new Mapped(g, name, in.data(), in.shape()));
                continue;
            }
            String blk = "blk." + m.group(1) + ".";
            String rest = m.group(2);
            long[] s = in.shape();
            switch (rest) {
                case "self_attn.q_proj.weight" -> out.add(new Mapped(blk + "attn_q.weight", name,
                        Views.llamaPermuted(in.data(), s[0], s[1], nHead), s));
                case "self_attn.k_proj.weight" -> out.add(new Mapped(blk + "attn_k.weight", name,
                        Views.llamaPermuted(in.data(), s[0], s[1], nKv), s));
                default -> out.add(new Mapped(blk + switch (rest) {
                    case "input_layernorm.weight" -> "attn_norm.weight";
                    case "post_attention_layernorm.weight" -> "ffn_norm.weight";
                    case "self_attn.v_proj.weight" -> "attn_v.weight";
                    case "self_attn.o_proj.weight" -> "attn_output.weight";
                    case "mlp.gate_proj.weight" -> "ffn_gate.weight";
                    case "mlp.up_proj.weight" -> "ffn_up.weight";
                    case "mlp.down_proj.weight" -> "ffn_down.weight";
                    default -> throw new KilnException(source + ": cannot map tensor '" + name + "'");
                }, name, in.data(), s));
            }
        }
        return out;
    }

    @Override
    public void writeKeys(GgufMetadata m, int fileType) {
        String a = "llama.";
        m.put(a + "block_count", GgufValue.ofU32((int) nLayer));
        Long ctx = c.optLong("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length");
        if (ctx != null) m.put(a + "context_length", GgufValue.ofU32(ctx.intValue()));
        m.put(a + "embedding_length", GgufValue.ofU32((int) embd));
        m.put(a + "feed_forward_length", GgufValue.ofU32((int) ff));
        m.put(a + "attention.head_count", GgufValue.ofU32((int) nHead));
        Long kv = c.optLong("num_key_value_heads", "n_kv_heads");
        if (kv != null) m.put(a + "attention.head_count_kv", GgufValue.ofU32(kv.intValue()));
        RopeScaling rs = RopeScaling.fromConfig(c);
        if (rs != null) {
            switch (rs.type()) {
                case "linear" -> {
                    m.put(a + "rope.scaling.type", GgufValue.ofString("linear"));
                    m.put(a + "rope.scaling.factor", GgufValue.ofF32(rs.factor().floatValue()));
                }
                case "yarn" -> {
                    m.put(a + "rope.scaling.type", GgufValue.ofString("yarn"));
                    m.put(a + "rope.scaling.factor", GgufValue.ofF32(rs.factor().floatValue()));
                    if (rs.originalContext() != null) m.put(a + "rope.scaling.original_context_length", GgufValue.ofU32(rs.originalContext().intValue()));
                    if (rs.extFactor() != null) m.put(a + "rope.scaling.yarn_ext_factor", GgufValue.ofF32(rs.extFactor().floatValue()));
                    if (rs.attnFactor() != null) m.put(a + "rope.scaling.yarn_attn_factor", GgufValue.ofF32(rs.attnFactor().floatValue()));
                    if (rs.betaFast() != null) m.put(a + "rope.scaling.yarn_beta_fast", GgufValue.ofF32(rs.betaFast().floatValue()));
                    if (rs.betaSlow() != null) m.put(a + "rope.scaling.yarn_beta_slow", GgufValue.ofF32(rs.betaSlow().floatValue()));
                }
                default -> { }
            }
        }
        Double theta = c.optDouble("rope_theta");
        if (theta != null) m.put(a + "rope.freq_base", GgufValue.ofF32(theta.floatValue()));
        Double eps = c.optDouble("rms_norm_eps", "norm_eps");
        if (eps != null) m.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofF32(eps.floatValue()));
        Long hd = c.optLong("head_dim");
        if (hd != null) {
            m.put(a + "attention.key_length", GgufValue.ofU32(hd.intValue()));
            m.put(a + "attention.value_length", GgufValue.ofU32(hd.intValue()));
        }
        m.put("general.file_type", GgufValue.ofU32(fileType));
        m.put(a + "vocab_size", GgufValue.ofU32((int) vocab));
        m.put(a + "rope.dimension_count", GgufValue.ofU32((int) headDim));
    }
}
