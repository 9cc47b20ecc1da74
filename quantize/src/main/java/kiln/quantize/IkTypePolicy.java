package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;

import static kiln.quantize.LlamaFtype.*;

/**
 * ik_llama.cpp's {@code llama_tensor_get_type} and driver rules (src/llama-quantize.cpp at the fixtures' commit):
 * tensors in file order; {@code attn_k} is a substring test, so DeepSeek's {@code attn_kv_a_mqa}, {@code attn_kv_b}
 * and {@code attn_k_b} are Q8_0 whenever the model has ≥ 4 experts; {@code attn_v}-like is only {@code attn_v.weight};
 * {@code --custom-q} rules apply after the mix; the block-size fallback differs from mainline's (Q5_K → Q6_0);
 * interleaved types fall back to their base type when the row count is not a multiple of the interleave.
 * Only the ftypes of {@link Ftype}'s ik table are covered.
 */
final class IkTypePolicy extends TypePolicy {
    private final int nAttentionWv;
    private final int nFfn;
    private int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;

    IkTypePolicy(ModelFacts facts, QuantizeOptions opts, boolean hasImatrix, List<TensorInfo> ordered) {
        super(facts, opts, hasImatrix);
        int wv = 0;
        for (TensorInfo t : ordered) {
            if (t.name().contains("attn_v.weight") || t.name().contains("attn_qkv.weight")) wv++;
        }
        this.nAttentionWv = wv;
        this.nFfn = facts.nLayer();
    }

    @Override
    public boolean allowsQuantization(TensorInfo t) {
        GgmlType ty = t.type();
        if (ty == GgmlType.I32 || ty == GgmlType.I64 || ty == GgmlType.I16 || ty == GgmlType.I8) return false;
        String n = t.name();
        if (!n.endsWith("weight")) return false;
        if (nDims(t) < 2) return false;
        if (n.contains("_norm.weight")) return false;
        if (opts.leaveOutputTensor() && n.equals("output.weight")) return false;
        if (n.contains("ffn_gate_inp.weight")) return false;
        if (n.equals("position_embd.weight") || n.equals("token_types.weight")) return false;
        return !n.contains("ssm_conv1d") && !n.contains("ssm_x.weight") && !n.contains("ssm_dt.weight") && !n.contains("attn_rel_b.weight");
    }

    @Override
    public GgmlType choose(TensorInfo t) {
        if (!allowsQuantization(t)) return t.type();
        String name = t.name();
        GgmlType type = opts.ftype().defaultType();
        if (opts.pure()) type = changeTypeIfNecessary(type, t);
        else if (type.isQuantized()) type = getType(type, t);
        if (opts.tokenEmbeddingType() != null && name.equals("token_embd.weight")) type = opts.tokenEmbeddingType();
        if (opts.outputTensorType() != null && name.equals("output.weight")) type = opts.outputTensorType();
        if (name.equals("token_embd.weight") && type.base() != null) type = type.base();
        if (type == t.type()) return type;
        // at quantization time: interleaved rows must fill whole groups
        if (type.isInterleaved() && t.dim(1) % type.interleave() != 0) type = type.base();
        return type;
    }

    static GgmlType changeTypeIfNecessary(GgmlType type, TensorInfo t) {
        long nx = t.dim(0);
        boolean k = switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, IQ2_XS, IQ2_XXS, IQ2_S, IQ3_XXS, IQ1_S, IQ3_S, IQ1_M, IQ4_K, IQ2_K,
                 IQ5_K, IQ3_K, Q4_K_R4, IQ6_K, IQ4_KS, IQ4_XS_R8, IQ2_KS, IQ4_KSS, Q6_K_R4, Q5_K_R4, Q3_K_R4, Q2_K_R4,
                 IQ4_K_R4, Q8_K_R8, IQ3_K_R4, IQ2_K_R4, IQ5_K_R4, IQ4_KS_R4, IQ3_XXS_R4, IQ2_XXS_R4, IQ2_XS_R4, IQ2_S_R4,
                 IQ3_S_R4, IQ3_KS, IQ2_KT, IQ3_KT, IQ4_KT, IQ5_KS, IQ5_KS_R4, IQ2_KL, IQ1_KT -> true;
            default -> false;
        };
        boolean incompatible = (k && nx % 256 != 0)
                || ((type == GgmlType.IQ1_BN || type == GgmlType.IQ2_BN || type == GgmlType.IQ2_BN_R4) && nx % 64 != 0);
        if (!incompatible) return type;
        return switch (type) {
            case IQ2_XXS, IQ2_XXS_R4, IQ2_XS, IQ2_XS_R4, IQ2_KS, IQ2_S, IQ2_S_R4, IQ3_XXS, IQ3_XXS_R4, IQ3_S, IQ3_S_R4, IQ1_S,
                 IQ1_M, Q2_K, Q2_K_R4, Q3_K, Q3_K_R4, IQ2_K, IQ2_K_R4, IQ2_KL, IQ3_KS, IQ3_K, IQ3_K_R4, IQ4_KSS, IQ4_KS,
                 IQ4_KS_R4, IQ4_XS_R8, IQ1_KT, IQ2_KT, IQ3_KT, IQ4_KT, IQ4_XS -> GgmlType.IQ4_NL;
            case IQ4_K, IQ4_K_R4, Q4_K_R4, IQ5_KS, IQ5_KS_R4, Q4_K -> GgmlType.Q5_0;
            case IQ5_K, IQ5_K_R4, Q5_K_R4, Q5_K -> GgmlType.Q6_0;
            case IQ6_K, Q6_K_R4, Q8_K_R8, Q6_K -> GgmlType.Q8_0;
            default -> throw new KilnException("Unsupported tensor size encountered: " + t.name() + " has " + nx + " columns for " + type.ggmlName());
        };
    }

    private GgmlType getType(GgmlType newType, TensorInfo t) {
        String name = t.name();
        int nExpert = facts.nExpert();
        int gqa = facts.nGqa();
        GgmlType custom = TensorTypeRule.firstMatch(opts.rules(), name);
        boolean hasOutput = facts.hasOutput();

        if (name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"))) {
            if (opts.outputTensorType() != null) {
                newType = opts.outputTensorType();
            } else {
                long nx = t.dim(0);
                if (facts.arch().equals("falcon") || nx % 256 != 0) newType = GgmlType.Q8_0;
                else if (any(ftype, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ2_S, IQ2_M, IQ1_M, IQ2_K, IQ3_K, IQ3_K_R4, IQ2_K_R4,
                        IQ3_KS, IQ2_KL, IQ2_KS)) {
                    newType = !hasOutput ? GgmlType.IQ4_K : GgmlType.Q5_K;
                }
                else if (any(ftype, IQ3_S, IQ3_M, IQ3_KL, IQ4_XS, IQ4_KS, IQ4_KSS, IQ4_KS_R4) && !hasOutput) newType = GgmlType.IQ5_K;
                else if (newType != GgmlType.Q8_0 && newType != GgmlType.Q8_0_R8 && newType != GgmlType.IQ6_K && newType != GgmlType.Q6_K_R4
                        && newType != GgmlType.Q8_K_R8 && newType != GgmlType.Q8_KV && newType != GgmlType.Q8_KV_R8) newType = GgmlType.Q6_K;
            }
        } else if (name.equals("token_embd.weight")) {
            if (opts.tokenEmbeddingType() != null) newType = opts.tokenEmbeddingType();
            else if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M)) newType = GgmlType.Q2_K;
            else if (any(ftype, IQ2_S, IQ2_M)) newType = GgmlType.IQ3_S;
            else if (ftype == IQ3_XXS) newType = GgmlType.IQ3_S;
        } else if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ2_S, IQ2_M, IQ1_M, IQ2_KS)) {
            boolean isIq2M = ftype == IQ2_M;
            boolean s = ftype == IQ2_S || isIq2M;
            if (name.contains("attn_v.weight")) {
                if (gqa >= 4 || nExpert >= 4) newType = GgmlType.IQ4_K;
                else if (gqa >= 2 || nExpert >= 2) newType = GgmlType.IQ3_K;
                else newType = s ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iAttentionWv++;
            } else if (nExpert >= 8 && name.contains("attn_k")) {
                newType = GgmlType.Q4_K;
            } else if (nExpert >= 8 && name.contains("attn_q")) {
                newType = GgmlType.Q4_K;
            } else if (name.contains("attn_qkv.weight")) {
                newType = s ? GgmlType.IQ3_XXS : GgmlType.IQ2_K;
            } else if (name.contains("ffn_down")) {
                if (iFfnDown < nFfn / 8) newType = s ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iFfnDown++;
            } else if (name.contains("attn_output.weight")) {
                if (nExpert >= 4) newType = GgmlType.Q5_K;
                else if (any(ftype, IQ1_S, IQ1_M)) newType = GgmlType.IQ2_K;
                else if (s) newType = GgmlType.IQ3_S;
            }
        } else if (name.contains("attn_v.weight")) {
            if (nExpert >= 4) newType = GgmlType.Q8_0;
            else if (facts.is70B()) {
                if (newType == GgmlType.Q3_K || newType == GgmlType.Q4_K) newType = GgmlType.Q5_K;
                if (newType == GgmlType.IQ3_K) newType = GgmlType.IQ5_K;
            } else if (ftype == Q2_K) newType = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (ftype == IQ2_K) newType = gqa >= 2 ? GgmlType.IQ4_K : GgmlType.IQ3_K;
            else if (ftype == IQ2_K_R4) newType = gqa >= 2 ? GgmlType.IQ4_K_R4 : GgmlType.IQ3_K_R4;
            else if (ftype == Q2_K_S && gqa >= 4) newType = GgmlType.Q4_K;
            else if (ftype == Q2_K_R4 && gqa >= 4) newType = GgmlType.Q4_K_R4;
            else if (ftype == IQ3_XXS) newType = gqa >= 4 ? GgmlType.Q4_K : gqa >= 2 ? GgmlType.IQ3_K : !hasImatrix ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
            else if (any(ftype, IQ3_XS, IQ3_S) && gqa >= 2) newType = GgmlType.IQ4_K;
            else if (ftype == IQ3_K && gqa >= 2) newType = GgmlType.IQ4_K;
            else if (ftype == IQ3_K_R4 && gqa >= 2) newType = GgmlType.IQ4_K_R4;
            else if (ftype == IQ3_KS && gqa >= 2) newType = GgmlType.IQ4_KS;
            else if (ftype == IQ2_KL && gqa >= 2) newType = GgmlType.IQ4_KS;
            else if (any(ftype, IQ3_KL, IQ3_M)) newType = gqa >= 2 ? GgmlType.IQ5_K : GgmlType.IQ4_K;
            else if (ftype == Q3_K_M) newType = iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (ftype == Q3_K_L) newType = GgmlType.Q5_K;
            else if (any(ftype, IQ4_NL, IQ4_XS, IQ4_NL_R4, IQ4_XS_R8, IQ4_KS, IQ4_KSS) && gqa >= 2) newType = GgmlType.IQ5_K;
            else if (ftype == IQ4_KS_R4 && gqa >= 2) newType = GgmlType.IQ5_K_R4;
            else if (any(ftype, IQ4_K, IQ4_K_R4) && gqa >= 2) newType = GgmlType.IQ5_K;
            else if (any(ftype, Q4_K_M, Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) newType = GgmlType.Q6_K;
            else if (ftype == Q4_K_S && iAttentionWv < 4) newType = GgmlType.Q5_K;
            else if (ftype == Q4_K_R4 && iAttentionWv < 4) newType = GgmlType.Q5_K;
            else if (ftype == Q5_K_S) {
                if (facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B())) newType = GgmlType.Q6_K;
            } else if (any(ftype, IQ5_K, IQ5_KS)) {
                if (facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B())) newType = GgmlType.IQ6_K;
            } else if (gqa >= 4) {
                newType = switch (newType) {
                    case Q2_K, IQ3_XXS -> GgmlType.IQ3_S;
                    case Q2_K_R4, IQ3_XXS_R4 -> GgmlType.IQ3_K_R4;
                    case Q3_K, IQ3_S -> GgmlType.Q4_K;
                    case IQ3_K -> GgmlType.IQ4_K;
                    case IQ3_KS, IQ2_KL -> GgmlType.IQ4_KS;
                    case IQ3_S_R4, Q3_K_R4 -> GgmlType.Q4_K_R4;
                    case Q4_K, IQ4_XS, IQ4_NL, IQ4_NL_R4, IQ4_XS_R8 -> GgmlType.Q5_K;
                    case IQ4_K, IQ4_KS -> GgmlType.IQ5_K;
                    case Q5_K -> GgmlType.Q6_K;
                    case IQ5_K, IQ5_KS -> GgmlType.IQ6_K;
                    default -> newType;
                };
            }
            iAttentionWv++;
        } else if (name.contains("attn_k")) {
            if (nExpert >= 4) newType = GgmlType.Q8_0;
            else if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
            else if (ftype == IQ3_XXS) newType = GgmlType.IQ2_S;
        } else if (name.contains("attn_q")) {
            if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
            else if (ftype == IQ3_XXS) newType = GgmlType.IQ2_S;
            else if (ftype == Q5_K_S) {
                if (facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B())) newType = GgmlType.Q4_K;
            } else if (ftype == IQ5_K) {
                if (facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B())) newType = GgmlType.IQ4_K;
            } else if (ftype == IQ5_KS) {
                if (facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B())) newType = GgmlType.IQ4_KS;
            }
        } else if (name.contains("ffn_down")) {
            int[] li = layerInfo(iFfnDown, nFfn, name);
            int il = li[0], nl = li[1];
            boolean falcon = facts.arch().equals("falcon");
            if (ftype == Q2_K) newType = GgmlType.Q3_K;
            else if (ftype == Q2_K_S) { if (il < nl / 8) newType = GgmlType.Q4_K; }
            else if (ftype == Q2_K_R4) { if (il < nl / 8) newType = GgmlType.Q4_K_R4; }
            else if (ftype == IQ3_XXS && !hasImatrix) newType = il < nl / 8 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (ftype == Q3_K_M) newType = il < nl / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(il, nl) ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (ftype == IQ3_M && (il < nl / 8 || (nExpert >= 4 && useMoreBits(il, nl)))) newType = GgmlType.IQ4_K;
            else if (ftype == Q3_K_L) newType = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
            else if (ftype == IQ3_KL) newType = useMoreBits(il, nl) ? GgmlType.IQ4_KS : GgmlType.IQ3_K;
            else if (ftype == Q4_K_M) {
                if (falcon) newType = il < nl / 16 ? GgmlType.Q6_K : useMoreBits(il, nl) ? GgmlType.Q5_K : GgmlType.Q4_K;
                else if (useMoreBits(il, nl)) newType = GgmlType.Q6_K;
            } else if (il < nl / 8 && !hasImatrix && any(ftype, IQ4_NL, IQ4_XS, IQ4_KS, IQ4_KSS, IQ4_NL_R4, IQ4_XS_R8)) newType = GgmlType.Q5_K;
            else if (ftype == IQ4_KS_R4 && il < nl / 8 && !hasImatrix) newType = GgmlType.Q5_K_R4;
            else if (ftype == Q5_K_M && useMoreBits(il, nl)) newType = GgmlType.Q6_K;
            else if (ftype == Q4_K_S && !falcon && il < nl / 8) newType = GgmlType.Q5_K;
            else if (ftype == Q4_K_R4 && !falcon && il < nl / 8) newType = GgmlType.Q5_K;
            else if (any(ftype, Q4_0, Q5_0) && hasImatrix && il < nl / 8) newType = ftype == Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
            else if (ftype == Q4_0_R8 && hasImatrix && il < nl / 8) newType = GgmlType.IQ4_NL_R4;
            iFfnDown++;
        } else if (name.contains("attn_output.weight")) {
            if (!facts.arch().equals("falcon")) {
                if (nExpert >= 4) {
                    if (any(ftype, Q2_K, IQ3_XS, IQ3_XXS, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ3_S, IQ3_M, IQ4_XS,
                            Q4_K_R4, IQ4_NL_R4, IQ4_XS_R8, Q3_K_R4, Q2_K_R4, IQ4_K, IQ2_K, IQ3_K, IQ4_K_R4, IQ3_K_R4,
                            IQ2_K_R4, IQ4_KS, IQ4_KS_R4, IQ5_KS, IQ5_KS_R4, IQ3_KS, IQ4_KSS, IQ3_KL)) newType = GgmlType.Q5_K;
                    else if (ftype == IQ2_KL) newType = GgmlType.IQ4_KS;
                } else {
                    if (ftype == Q2_K) newType = GgmlType.Q3_K;
                    else if (ftype == IQ3_XXS) newType = GgmlType.IQ3_S;
                    else if (ftype == Q3_K_M) newType = GgmlType.Q4_K;
                    else if (ftype == Q3_K_L) newType = GgmlType.Q5_K;
                    else if (ftype == IQ3_M) newType = GgmlType.IQ4_K;
                    else if (ftype == IQ2_K) newType = GgmlType.IQ3_K;
                    else if (ftype == IQ2_K_R4) newType = GgmlType.IQ3_K_R4;
                    else if (ftype == IQ3_KL) newType = GgmlType.IQ4_KS;
                }
            } else if (ftype == Q3_K_L) {
                newType = GgmlType.Q4_K;
            }
        } else if (name.contains("attn_qkv.weight")) {
            if (any(ftype, Q3_K_M, Q3_K_L)) newType = GgmlType.Q4_K;
            else if (ftype == IQ3_M) newType = GgmlType.IQ4_K;
            else if (ftype == Q4_K_M) newType = GgmlType.Q5_K;
            else if (ftype == Q5_K_M) newType = GgmlType.Q6_K;
        } else if (name.contains("ffn_gate")) {
            int[] li = layerInfo(iFfnGate, nFfn, name);
            if (ftype == IQ3_XS && li[0] >= li[1] / 8 && li[0] < 7 * li[1] / 8) newType = GgmlType.IQ3_XXS;
            else if (ftype == IQ3_KL && useMoreBits(li[0], li[1])) newType = GgmlType.IQ4_KS;
            iFfnGate++;
        } else if (name.contains("ffn_up")) {
            int[] li = layerInfo(iFfnUp, nFfn, name);
            if (ftype == IQ3_XS && li[0] >= li[1] / 8 && li[0] < 7 * li[1] / 8) newType = GgmlType.IQ3_XXS;
            else if (ftype == IQ3_KL && useMoreBits(li[0], li[1])) newType = GgmlType.IQ4_KS;
            iFfnUp++;
        }
        if (custom != null) newType = custom;
        newType = changeTypeIfNecessary(newType, t);
        if (name.equals("token_embd.weight") && newType.base() != null) newType = newType.base();
        return newType;
    }
}
