package kiln.convert.arch;

import kiln.tensor.gguf.MlaLayout;
import kiln.convert.hf.JsonDoc;
import kiln.convert.tensors.TensorData;
import kiln.convert.tensors.Views;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** DeepseekV2ForCausalLM / DeepseekV3ForCausalLM → deepseek2, in any MLA layout. */
public final class DeepseekArch implements Architecture {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");
    private static final Pattern EXPERT = Pattern.compile("mlp\\.experts\\.(\\d+)\\.(gate_proj|up_proj|down_proj)\\.weight");

    private final String source;
    private final DeepseekParams p;
    private final MlaLayout layout;
    private final boolean expertGroups;
    private final boolean tied;

    public DeepseekArch(String source, JsonDoc config, Map<String, Input> inputs, MlaLayout layout, boolean expertGroups) {
        this.source = source;
        Long qLoraFromTensors = null;
        Input qa = inputs.get("model.layers.0.self_attn.q_a_proj.weight");
        if (qa != null && qa.shape().length == 2) qLoraFromTensors = qa.shape()[0];
        this.p = DeepseekParams.fromConfig(config, qLoraFromTensors);
        this.layout = layout;
        this.expertGroups = expertGroups;
        this.tied = config.truthy("tie_word_embeddings");
        if (p.isMoe() && (p.expertFf() == null || p.nExpertUsed() == null)) {
            throw new KilnException(config.file() + ": missing key '" + (p.expertFf() == null ? "moe_intermediate_size" : "num_experts_per_tok") + "'");
        }
        if (!p.isMoe() && p.ff() == null || p.leadingDense() > 0 && p.ff() == null) {
            throw new KilnException(config.file() + ": missing key 'intermediate_size'");
        }
        if (p.nKvHeadConfig() != null && p.nKvHeadConfig() != p.nHead()) {
            throw new KilnException(config.file() + ": num_key_value_heads is " + p.nKvHeadConfig() + ", expected num_attention_heads ("
                    + p.nHead() + ") for MLA");
        }
    }

    public DeepseekParams params() {
        return p;
    }

    @Override
    public String name() {
        return "deepseek2";
    }

    @Override
    public boolean quantVersionLast() {
        return layout != MlaLayout.MAINLINE;
    }

    @Override
    public void writeKeys(GgufMetadata m, int fileType) {
        DeepseekKeys.write(m, p, layout, expertGroups, fileType);
    }

    @Override
    public void check(Map<String, Input> inputs) {
        long h = p.embd();
        long nh = p.nHead();
        Expect x = new Expect(source);
        x.req("model.embed_tokens.weight", p.vocab(), h);
        x.req("model.norm.weight", h);
        if (tied) x.opt("lm_head.weight", p.vocab(), h);
        else x.req("lm_head.weight", p.vocab(), h);
        for (long l = 0; l < p.nLayer(); l++) {
            String b = "model.layers." + l + ".";
            x.req(b + "input_layernorm.weight", h);
            x.req(b + "post_attention_layernorm.weight", h);
            if (p.qLora() != null) {
                x.req(b + "self_attn.q_a_proj.weight", p.qLora(), h);
                x.req(b + "self_attn.q_a_layernorm.weight", p.qLora());
                x.req(b + "self_attn.q_b_proj.weight", nh * (p.nope() + p.rope()), p.qLora());
            } else {
                x.req(b + "self_attn.q_proj.weight", nh * (p.nope() + p.rope()), h);
            }
            x.req(b + "self_attn.kv_a_proj_with_mqa.weight", p.kvLora() + p.rope(), h);
            x.req(b + "self_attn.kv_a_layernorm.weight", p.kvLora());
            x.req(b + "self_attn.kv_b_proj.weight", nh * (p.nope() + p.v()), p.kvLora());
            x.req(b + "self_attn.o_proj.weight", h, nh * p.v());
            if (p.isMoeLayer(l)) {
                long e = p.nExpert();
                long f = p.expertFf();
                x.req(b + "mlp.gate.weight", e, h);
                x.opt(b + "mlp.gate.e_score_correction_bias", e);
                for (long i = 0; i < e; i++) {
                    x.req(b + "mlp.experts." + i + ".gate_proj.weight", f, h);
                    x.req(b + "mlp.experts." + i + ".up_proj.weight", f, h);
                    x.req(b + "mlp.experts." + i + ".down_proj.weight", h, f);
                }
                if (p.nShared() > 0) {
                    x.req(b + "mlp.shared_experts.gate_proj.weight", f * p.nShared(), h);
                    x.req(b + "mlp.shared_experts.up_proj.weight", f * p.nShared(), h);
                    x.req(b + "mlp.shared_experts.down_proj.weight", h, f * p.nShared());
                }
            } else {
                x.req(b + "mlp.gate_proj.weight", p.ff(), h);
                x.req(b + "mlp.up_proj.weight", p.ff(), h);
                x.req(b + "mlp.down_proj.weight", h, p.ff());
            }
        }
        x.check(inputs, this::skipped);
    }

    /** Tensors the reference converters drop: MTP layers beyond num_hidden_layers, rotary caches. */
    private boolean skipped(String hfName) {
        Matcher m = LAYER.matcher(hfName);
        if (m.matches() && Long.parseLong(m.group(1)) >= p.nLayer()) return true;
        return hfName.endsWith(".rotary_emb.inv_freq");
    }

    @Override
    public List<Mapped> map(List<Input> inputs) {
        List<Mapped> out = new ArrayList<>();
        Map<Long, Map<String, Input>> experts = new HashMap<>();
        for (Input in : inputs) {
            String name = in.hfName();
            if (skipped(name)) continue;
            if (tied && name.equals("lm_head.weight")) continue;
            Matcher lm = LAYER.matcher(name);
            if (!lm.matches()) {
                out.add(new Mapped(global(name), name, in.data(), in.shape()));
                continue;
            }
            long l = Long.parseLong(lm.group(1));
            String rest = lm.group(2);
            String blk = "blk." + l + ".";
            if (EXPERT.matcher(rest).matches()) {
                Map<String, Input> buf = experts.computeIfAbsent(l, k -> new HashMap<>());
                buf.put(name, in);
                if (buf.size() == 3 * p.nExpert()) {
                    for (String w : new String[]{"down_proj", "gate_proj", "up_proj"}) {
                        List<TensorData> parts = new ArrayList<>();
                        long[] shape = null;
                        for (long x = 0; x < p.nExpert(); x++) {
                            Input e = buf.get("model.layers." + l + ".mlp.experts." + x + "." + w + ".weight");
                            parts.add(e.data());
                            shape = e.shape();
                        }
                        String gg = blk + switch (w) {
                            case "down_proj" -> "ffn_down_exps";
                            case "gate_proj" -> "ffn_gate_exps";
                            default -> "ffn_up_exps";
                        } + ".weight";
                        out.add(new Mapped(gg, "model.layers." + l + ".mlp.experts." + w + ".weight", Views.stacked(parts),
                                new long[]{p.nExpert(), shape[0], shape[1]}));
                    }
                    experts.remove(l);
                }
                continue;
            }
            if (rest.equals("self_attn.kv_b_proj.weight")) {
                mapKvB(out, blk, name, in);
                continue;
            }
            out.add(new Mapped(blk + layerName(name, rest), name, in.data(), in.shape()));
        }
        if (!experts.isEmpty()) throw new KilnException(source + ": unprocessed experts in layers " + experts.keySet());
        return out;
    }

    private void mapKvB(List<Mapped> out, String blk, String name, Input in) {
        long nh = p.nHead();
        long nope = p.nope();
        long v = p.v();
        long kvl = p.kvLora();
        TensorData kb = Views.kbTransposed(in.data(), nh, nope, v, kvl);
        TensorData vb = Views.vb(in.data(), nh, nope, v, kvl);
        switch (layout) {
            case IK -> {
                out.add(new Mapped(blk + "attn_kv_b.weight", name, in.data(), in.shape()));
                out.add(new Mapped(blk + "attn_k_b.weight", name, kb, new long[]{nh * kvl, nope}));
                out.add(new Mapped(blk + "attn_v_b.weight", name, vb, new long[]{nh * v, kvl}));
            }
            case MAINLINE -> {
                out.add(new Mapped(blk + "attn_k_b.weight", name, kb, new long[]{nh, kvl, nope}));
                out.add(new Mapped(blk + "attn_v_b.weight", name, vb, new long[]{nh, v, kvl}));
            }
            case LEGACY -> out.add(new Mapped(blk + "attn_kv_b.weight", name, in.data(), in.shape()));
        }
    }

    private String global(String name) {
        return switch (name) {
            case "model.embed_tokens.weight" -> "token_embd.weight";
            case "model.norm.weight" -> "output_norm.weight";
            case "lm_head.weight" -> "output.weight";
            default -> throw new KilnException(source + ": cannot map tensor '" + name + "'");
        };
    }

    private String layerName(String full, String rest) {
        return switch (rest) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.q_a_proj.weight" -> "attn_q_a.weight";
            case "self_attn.q_a_layernorm.weight" -> "attn_q_a_norm.weight";
            case "self_attn.q_b_proj.weight" -> "attn_q_b.weight";
            case "self_attn.kv_a_proj_with_mqa.weight" -> "attn_kv_a_mqa.weight";
            case "self_attn.kv_a_layernorm.weight" -> "attn_kv_a_norm.weight";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            case "mlp.gate.weight" -> "ffn_gate_inp.weight";
            case "mlp.gate.e_score_correction_bias" -> "exp_probs_b.bias";
            case "mlp.shared_experts.gate_proj.weight" -> "ffn_gate_shexp.weight";
            case "mlp.shared_experts.up_proj.weight" -> "ffn_up_shexp.weight";
            case "mlp.shared_experts.down_proj.weight" -> "ffn_down_shexp.weight";
            default -> throw new KilnException(source + ": cannot map tensor '" + full + "'");
        };
    }
}
