package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;

import static kiln.quantize.LlamaFtype.*;

/**
 * Mainline llama.cpp's {@code llama_tensor_get_type} (src/llama-quant.cpp; spec gguf-and-quants.md §4.2–4.4):
 * tensor categories by name, the outer wrapper (explicit output/embedding types, --tensor-type, --pure), the mix
 * rules with their counters, and the block-size fallback.
 */
final class MainlineTypePolicy extends TypePolicy {
    enum Cat { TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER }

    private static final String[] NOT_QUANTIZED = {
        "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
        "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight",
        "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
        "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight",
        "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
        ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    };

    private final int nAttentionWv;
    private final int nFfn;
    private final boolean tiedEmbeddings;
    private int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;

    MainlineTypePolicy(ModelFacts facts, QuantizeOptions opts, boolean hasImatrix, List<TensorInfo> ordered) {
        super(facts, opts, hasImatrix);
        int wv = 0;
        boolean tied = true;
        for (TensorInfo t : ordered) {
            Cat c = category(t.name());
            if (isAttnV(c)) wv++;
            if (c == Cat.OUTPUT) tied = false;
        }
        this.nAttentionWv = wv;
        this.tiedEmbeddings = tied;
        this.nFfn = facts.nLayer();
    }

    static Cat category(String n) {
        if (n.equals("output.weight")) return Cat.OUTPUT;
        if (n.equals("token_embd.weight") || n.equals("per_layer_token_embd.weight")) return Cat.TOKEN_EMBD;
        if (n.contains("attn_qkv.weight")) return Cat.ATTENTION_QKV;
        if (n.contains("attn_kv_b.weight")) return Cat.ATTENTION_KV_B;
        if (n.contains("attn_v.weight")) return Cat.ATTENTION_V;
        if (n.contains("attn_k.weight")) return Cat.ATTENTION_K;
        if (n.contains("attn_q.weight")) return Cat.ATTENTION_Q;
        if (n.contains("attn_output.weight")) return Cat.ATTENTION_OUTPUT;
        if (n.contains("ffn_up")) return Cat.FFN_UP;
        if (n.contains("ffn_gate")) return Cat.FFN_GATE;
        if (n.contains("ffn_down")) return Cat.FFN_DOWN;
        return Cat.OTHER;
    }

    static boolean isAttnV(Cat c) {
        return c == Cat.ATTENTION_V || c == Cat.ATTENTION_QKV || c == Cat.ATTENTION_KV_B;
    }

    @Override
    public boolean allowsQuantization(TensorInfo t) {
        if (nDims(t) < 2) return false;
        String n = t.name();
        if (!n.endsWith("weight")) return false;
        if (n.contains("_norm.weight")) return false;
        if (opts.leaveOutputTensor() && n.equals("output.weight")) return false;
        for (String s : NOT_QUANTIZED) if (n.contains(s)) return false;
        return !n.equals("position_embd.weight") && !n.equals("token_types.weight");
    }

    @Override
    public GgmlType choose(TensorInfo t) {
        if (!allowsQuantization(t)) return t.type();
        Cat cat = category(t.name());
        if (opts.tokenEmbeddingType() != null && cat == Cat.TOKEN_EMBD) return opts.tokenEmbeddingType();
        if (opts.outputTensorType() != null && cat == Cat.OUTPUT) return opts.outputTensorType();
        GgmlType type = opts.ftype().defaultType();
        if (!type.isQuantized()) return type;
        GgmlType manual = TensorTypeRule.firstMatch(opts.rules(), t.name());
        if (manual != null) type = manual;
        else if (!opts.pure()) type = mix(type, t, cat);
        return fallback(t, type);
    }

    static GgmlType fallback(TensorInfo t, GgmlType type) {
        long ncols = t.dim(0);
        if (ncols % type.blockSize() == 0) return type;
        GgmlType r = switch (type) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new KilnException("no tensor type fallback is defined for type " + type.ggmlName() + " (tensor " + t.name() + ")");
        };
        return ncols % r.blockSize() != 0 ? GgmlType.F16 : r;
    }

    private GgmlType mix(GgmlType newType, TensorInfo t, Cat cat) {
        String name = t.name();
        int nExpert = facts.nExpert();
        int gqa = facts.nGqa();
        if (cat == Cat.OUTPUT || (tiedEmbeddings && cat == Cat.TOKEN_EMBD)) {
            if (opts.outputTensorType() != null) return opts.outputTensorType();
            long nx = t.dim(0);
            if (ftype == MXFP4_MOE) return GgmlType.Q8_0;
            if (facts.arch().equals("falcon") || nx % newType.blockSize() != 0) return GgmlType.Q8_0;
            if (any(ftype, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ2_S, IQ2_M, IQ1_M)) return GgmlType.Q5_K;
            return newType != GgmlType.Q8_0 ? GgmlType.Q6_K : newType;
        }
        if (ftype == MXFP4_MOE) {
            return t.dim(2) > 1 ? GgmlType.MXFP4 : GgmlType.Q8_0;
        }
        if (cat == Cat.TOKEN_EMBD) {
            if (opts.tokenEmbeddingType() != null) return opts.tokenEmbeddingType();
            if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M)) return GgmlType.Q2_K;
            if (any(ftype, IQ2_S, IQ2_M)) return GgmlType.IQ3_S;
            if (ftype == IQ3_XXS) return GgmlType.IQ3_S;
            if (any(ftype, TQ1_0, TQ2_0)) return GgmlType.Q4_K;
            return newType;
        }
        if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ2_S, IQ2_M, IQ1_M)) {
            boolean s = any(ftype, IQ2_S, IQ2_M);
            if (isAttnV(cat)) {
                newType = gqa >= 4 || nExpert >= 4 ? GgmlType.Q4_K : s ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iAttentionWv++;
            } else if (nExpert == 8 && cat == Cat.ATTENTION_K) {
                newType = GgmlType.Q4_K;
            } else if (cat == Cat.FFN_DOWN) {
                if (iFfnDown < nFfn / 8) newType = s ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iFfnDown++;
            } else if (cat == Cat.ATTENTION_OUTPUT) {
                if (nExpert == 8) newType = GgmlType.Q5_K;
                else if (any(ftype, IQ1_S, IQ1_M)) newType = GgmlType.IQ2_XXS;
                else if (s) newType = GgmlType.IQ3_S;
            }
            return newType;
        }
        if (isAttnV(cat)) {
            if (ftype == Q2_K) newType = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (ftype == Q2_K_S && gqa >= 4) newType = GgmlType.Q4_K;
            else if (ftype == IQ3_XXS) newType = gqa >= 4 ? GgmlType.Q4_K : !hasImatrix ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
            else if (any(ftype, IQ3_XS, IQ3_S) && gqa >= 4) newType = GgmlType.Q4_K;
            else if (ftype == IQ3_M) newType = GgmlType.Q4_K;
            else if (ftype == Q3_K_M) newType = iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (ftype == Q3_K_L) newType = GgmlType.Q5_K;
            else if (any(ftype, IQ4_NL, IQ4_XS) && gqa >= 4) newType = GgmlType.Q5_K;
            else if (any(ftype, Q4_K_M, Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) newType = GgmlType.Q6_K;
            else if (ftype == Q4_K_S && iAttentionWv < 4) newType = GgmlType.Q5_K;
            if (facts.is70B() && (newType == GgmlType.Q3_K || newType == GgmlType.Q4_K)) newType = GgmlType.Q5_K;
            if (nExpert == 8) newType = GgmlType.Q8_0;
            iAttentionWv++;
            return newType;
        }
        switch (cat) {
            case ATTENTION_K -> {
                if (nExpert == 8) newType = GgmlType.Q8_0;
                else if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
                else if (ftype == IQ3_XXS) newType = GgmlType.IQ2_S;
            }
            case ATTENTION_Q -> {
                if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
                else if (ftype == IQ3_XXS) newType = GgmlType.IQ2_S;
            }
            case FFN_DOWN -> {
                int[] li = layerInfo(iFfnDown, nFfn, name);
                int il = li[0], nl = li[1];
                boolean falcon = facts.arch().equals("falcon");
                if (ftype == Q2_K) newType = GgmlType.Q3_K;
                else if (ftype == Q2_K_S) { if (il < nl / 8) newType = GgmlType.Q4_K; }
                else if (ftype == IQ3_XXS && !hasImatrix) newType = il < nl / 8 ? GgmlType.Q4_K : GgmlType.Q3_K;
                else if (ftype == Q3_K_M) newType = il < nl / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(il, nl) ? GgmlType.Q4_K : GgmlType.Q3_K;
                else if (ftype == IQ3_M && (il < nl / 8 || (nExpert == 8 && useMoreBits(il, nl)))) newType = GgmlType.Q4_K;
                else if (ftype == Q3_K_L) newType = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                else if (ftype == Q4_K_M) {
                    if (falcon) newType = il < nl / 16 ? GgmlType.Q6_K : useMoreBits(il, nl) ? GgmlType.Q5_K : GgmlType.Q4_K;
                    else if (useMoreBits(il, nl)) newType = GgmlType.Q6_K;
                } else if (il < nl / 8 && any(ftype, IQ4_NL, IQ4_XS) && !hasImatrix) newType = GgmlType.Q5_K;
                else if (ftype == Q5_K_M && useMoreBits(il, nl)) newType = GgmlType.Q6_K;
                else if (ftype == Q4_K_S && !falcon && il < nl / 8) newType = GgmlType.Q5_K;
                else if (any(ftype, Q4_0, Q5_0) && hasImatrix && il < nl / 8) newType = ftype == Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
                iFfnDown++;
            }
            case ATTENTION_OUTPUT -> {
                if (!facts.arch().equals("falcon")) {
                    if (nExpert == 8) {
                        if (any(ftype, Q2_K, IQ3_XS, IQ3_XXS, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ3_S, IQ3_M, IQ4_XS)) newType = GgmlType.Q5_K;
                    } else {
                        if (ftype == Q2_K) newType = GgmlType.Q3_K;
                        else if (ftype == IQ3_XXS) newType = GgmlType.IQ3_S;
                        else if (ftype == Q3_K_M) newType = GgmlType.Q4_K;
                        else if (ftype == Q3_K_L) newType = GgmlType.Q5_K;
                        else if (ftype == IQ3_M) newType = GgmlType.Q4_K;
                    }
                } else if (ftype == Q3_K_L) {
                    newType = GgmlType.Q4_K;
                }
            }
            case ATTENTION_QKV -> {
                if (any(ftype, Q3_K_M, Q3_K_L, IQ3_M)) newType = GgmlType.Q4_K;
                else if (ftype == Q4_K_M) newType = GgmlType.Q5_K;
                else if (ftype == Q5_K_M) newType = GgmlType.Q6_K;
            }
            case FFN_GATE -> {
                int[] li = layerInfo(iFfnGate, nFfn, name);
                if (ftype == IQ3_XS && li[0] >= li[1] / 8 && li[0] < 7 * li[1] / 8) newType = GgmlType.IQ3_XXS;
                iFfnGate++;
            }
            case FFN_UP -> {
                int[] li = layerInfo(iFfnUp, nFfn, name);
                if (ftype == IQ3_XS && li[0] >= li[1] / 8 && li[0] < 7 * li[1] / 8) newType = GgmlType.IQ3_XXS;
                iFfnUp++;
            }
            default -> { }
        }
        return newType;
    }
}
