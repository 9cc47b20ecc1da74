package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;

import static kiln.quantize.LlamaFtype.*;

/**
 * ik_llama.cpp's {@code llama_tensor_get_type} and driver rules (src/llama-quantize.cpp at the fixtures' commit),
 * for every ftype of ik's table: tensors in file order; {@code attn_k} is a substring test, so DeepSeek's
 * {@code attn_kv_a_mqa}, {@code attn_kv_b} and {@code attn_k_b} are Q8_0 whenever the model has ≥ 4 experts;
 * {@code attn_v}-like is only {@code attn_v.weight}; the per-class options ({@link IkOptions}) apply at their class's
 * branch; {@code --custom-q} rules apply after the mix; the block-size fallback differs from mainline's (Q5_K → Q6_0);
 * interleaved types fall back as ik's {@link IkInterleave} table says when the row count is not a multiple of the
 * interleave; {@code ffn_gate_inp} is quantized only with {@code --ffn-gate-inp-type}; COPY quantizes nothing.
 */
final class IkTypePolicy extends TypePolicy {

    /** The types of the IQ1_S_R4/IQ1_M_R4 and IQ2_KT branches, which share one shape. */
    private record LowBitBranch(GgmlType attnVGqa4, GgmlType attnVGqa2, GgmlType attnV, GgmlType attnKQ, GgmlType firstLayerFfn,
                                GgmlType attnQkv, GgmlType sharedExpert, GgmlType firstFfnDown, GgmlType attnOutputMoe,
                                GgmlType attnOutput) {}

    private static final LowBitBranch IQ1_R4_BRANCH = new LowBitBranch(GgmlType.IQ4_K_R4, GgmlType.IQ3_K_R4,
            GgmlType.Q2_K_R4, GgmlType.Q4_K_R4, GgmlType.IQ3_K_R4, GgmlType.IQ2_K_R4, GgmlType.IQ4_K_R4, GgmlType.Q2_K_R4, GgmlType.Q5_K_R4,
            GgmlType.IQ2_K_R4);
    private static final LowBitBranch IQ2_KT_BRANCH = new LowBitBranch(GgmlType.IQ4_K, GgmlType.IQ3_K, GgmlType.Q2_K,
            GgmlType.Q4_K, GgmlType.IQ3_K, GgmlType.IQ3_K, GgmlType.IQ4_K, GgmlType.IQ3_K, GgmlType.Q5_K, GgmlType.IQ3_K);

    private final int nAttentionWv;
    private final int nFfn;
    private final IkOptions ik;
    private int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;

    IkTypePolicy(ModelFacts facts, QuantizeOptions opts, boolean hasImatrix, List<TensorInfo> ordered) {
        super(facts, opts, hasImatrix);
        int wv = 0;
        for (TensorInfo t : ordered) {
            if (t.name().contains("attn_v.weight") || t.name().contains("attn_qkv.weight")) wv++;
        }
        this.nAttentionWv = wv;
        this.nFfn = facts.nLayer();
        this.ik = opts.ik();
    }

    @Override
    public boolean allowsQuantization(TensorInfo t) {
        if (opts.ftype().isCopy()) return false;
        GgmlType ty = t.type();
        if (ty == GgmlType.I32 || ty == GgmlType.I64 || ty == GgmlType.I16 || ty == GgmlType.I8) return false;
        String n = t.name();
        if (!n.endsWith("weight")) return false;
        if (nDims(t) < 2) return false;
        if (n.contains("_norm.weight")) return false;
        if (opts.leaveOutputTensor() && n.equals("output.weight")) return false;
        if (n.contains("ffn_gate_inp.weight") && (ik.ffnGateInp() == null || ik.ffnGateInp() == ty)) return false;
        if (n.equals("position_embd.weight") || n.equals("token_types.weight")) return false;
        return !n.contains("ssm_conv1d") && !n.contains("ssm_x.weight") && !n.contains("ssm_dt.weight") && !n.contains("attn_rel_b.weight");
    }

    @Override
    public GgmlType choose(TensorInfo t) {
        if (!allowsQuantization(t)) return t.type();
        String name = t.name();
        GgmlType type = opts.ftype().defaultType();
        if (opts.pure()) type = changeTypeIfNecessary(type, t);
        else if (type.isQuantized() && type != GgmlType.BF16_R16) type = getType(type, t); // ggml_is_quantized: not BF16_R16
        if (opts.tokenEmbeddingType() != null && name.equals("token_embd.weight")) type = opts.tokenEmbeddingType();
        if (ik.perLayerTokenEmbd() != null && name.equals("per_layer_token_embd.weight")) type = ik.perLayerTokenEmbd();
        if (opts.outputTensorType() != null && name.equals("output.weight")) type = opts.outputTensorType();
        if (ik.ffnGateInp() != null && name.contains("ffn_gate_inp.weight")) type = ik.ffnGateInp();
        type = driverClassTypes(name, type);
        if (name.equals("token_embd.weight")) type = IkInterleave.base(type);
        if (type == t.type()) return type;
        // at quantization time: interleaved rows must fill whole groups
        if (t.dim(1) % IkInterleave.rows(type) != 0) type = IkInterleave.base(type);
        return type;
    }

    /**
     * ik's driver applies the per-class options a second time after {@code llama_tensor_get_type}, comparing the whole
     * tensor name with {@code "attn_q.weight"}, …, {@code "ffn_gate"}, {@code "ffn_down"}, {@code "ffn_up"} (strcmp).
     * Real names carry their layer ({@code blk.0.attn_q.weight}), so this never changes anything in a real model; it is
     * transcribed as written so that Kiln does what ik does for any name.
     */
    private GgmlType driverClassTypes(String name, GgmlType type) {
        if (ik.attnQ() != null && name.equals("attn_q.weight")) type = ik.attnQ();
        if (ik.attnK() != null && name.equals("attn_k.weight")) type = ik.attnK();
        if (ik.attnV() != null && name.equals("attn_v.weight")) type = ik.attnV();
        if (ik.attnQkv() != null && name.equals("attn_qkv.weight")) type = ik.attnQkv();
        if (ik.attnOutput() != null && name.equals("attn_output.weight")) type = ik.attnOutput();
        if (ik.ffnGate() != null && name.equals("ffn_gate")) type = ik.ffnGate();
        if (ik.ffnDown() != null && name.equals("ffn_down")) type = ik.ffnDown();
        if (ik.ffnUp() != null && name.equals("ffn_up")) type = ik.ffnUp();
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
        boolean falcon = facts.arch().equals("falcon");
        GgmlType custom = TensorTypeRule.firstMatch(opts.rules(), name);
        boolean hasOutput = facts.hasOutput();

        if (name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"))) {
            if (opts.outputTensorType() != null) {
                newType = opts.outputTensorType();
            } else {
                long nx = t.dim(0);
                if (falcon || nx % 256 != 0) newType = GgmlType.Q8_0;
                else if (any(ftype, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ2_S, IQ2_M, IQ1_M, IQ2_K, IQ3_K, IQ2_KS, IQ3_K_R4, IQ3_KS,
                        IQ2_K_R4, IQ3_XXS_R4, IQ2_KL, IQ2_M_R4, IQ1_S_R4, IQ1_M_R4, IQ2_KT, IQ3_KT, IQ1_KT)) {
                    newType = !hasOutput ? GgmlType.IQ4_K : GgmlType.Q5_K;
                }
                else if (any(ftype, IQ2_XXS_R4, IQ2_XS_R4)) newType = !hasOutput ? GgmlType.IQ4_K_R4 : GgmlType.Q5_K_R4;
                else if (any(ftype, IQ3_S, IQ3_M, IQ3_KL, IQ4_XS, IQ3_S_R4, IQ4_KS, IQ4_KSS, IQ4_KS_R4) && !hasOutput) newType = GgmlType.IQ5_K;
                else if (newType != GgmlType.Q8_0 && newType != GgmlType.Q8_0_R8 && newType != GgmlType.IQ6_K && newType != GgmlType.Q6_K_R4
                        && newType != GgmlType.Q8_K_R8 && newType != GgmlType.Q8_KV && newType != GgmlType.Q8_KV_R8) newType = GgmlType.Q6_K;
            }
        } else if (name.equals("token_embd.weight")) {
            newType = opts.tokenEmbeddingType() != null ? opts.tokenEmbeddingType() : embeddingType(newType);
        } else if (name.equals("per_layer_token_embd.weight")) {
            newType = ik.perLayerTokenEmbd() != null ? ik.perLayerTokenEmbd() : embeddingType(newType);
        } else if (any(ftype, IQ1_S_R4, IQ1_M_R4)) {
            newType = lowBitBranch(IQ1_R4_BRANCH, newType, name, nExpert, gqa);
        } else if (ftype == IQ2_KT) {
            newType = lowBitBranch(IQ2_KT_BRANCH, newType, name, nExpert, gqa);
        } else if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ2_S, IQ2_M, IQ1_M, IQ2_KS, IQ2_XXS_R4, IQ2_XS_R4, IQ2_M_R4)) {
            boolean s = ftype == IQ2_S || ftype == IQ2_M || ftype == IQ2_M_R4;
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
                if (ik.attnOutput() != null) newType = ik.attnOutput();
                else if (nExpert >= 4) newType = GgmlType.Q5_K;
                else if (any(ftype, IQ1_S, IQ1_M)) newType = GgmlType.IQ2_K;
                else if (s) newType = GgmlType.IQ3_S;
            }
        } else if (name.contains("attn_v.weight")) {
            newType = attnV(newType, nExpert, gqa);
            iAttentionWv++;
        } else if (name.contains("attn_k")) {
            if (ik.attnK() != null) newType = ik.attnK();
            else if (nExpert >= 4) newType = GgmlType.Q8_0;
            else if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
            else if (any(ftype, IQ3_XXS, IQ3_XXS_R4)) newType = GgmlType.IQ2_S;
        } else if (name.contains("attn_q")) {
            boolean big = facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B());
            if (ik.attnQ() != null) newType = ik.attnQ();
            else if (ftype == IQ3_XS) newType = GgmlType.IQ3_XXS;
            else if (any(ftype, IQ3_XXS, IQ3_XXS_R4)) newType = GgmlType.IQ2_S;
            else if (ftype == Q5_K_S) { if (big) newType = GgmlType.Q4_K; }
            else if (ftype == IQ5_K) { if (big) newType = GgmlType.IQ4_K; }
            else if (ftype == IQ5_KS) { if (big) newType = GgmlType.IQ4_KS; }
        } else if (name.contains("ffn_down")) {
            newType = ffnDown(newType, name, nExpert, falcon);
            iFfnDown++;
        } else if (name.contains("attn_output.weight")) {
            newType = attnOutput(newType, nExpert, gqa, falcon);
        } else if (name.contains("attn_qkv.weight")) {
            if (ik.attnQkv() != null) newType = ik.attnQkv();
            else if (any(ftype, Q3_K_M, Q3_K_L)) newType = GgmlType.Q4_K;
            else if (ftype == IQ3_M) newType = GgmlType.IQ4_K;
            else if (ftype == Q4_K_M) newType = GgmlType.Q5_K;
            else if (ftype == Q5_K_M) newType = GgmlType.Q6_K;
        } else if (name.contains("ffn_gate")) {
            newType = ffnGateOrUp(newType, layerInfo(iFfnGate, nFfn, name), ik.ffnGate());
            iFfnGate++;
        } else if (name.contains("ffn_up")) {
            newType = ffnGateOrUp(newType, layerInfo(iFfnUp, nFfn, name), ik.ffnUp());
            iFfnUp++;
        }
        if (custom != null) newType = custom;
        newType = changeTypeIfNecessary(newType, t);
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) newType = IkInterleave.base(newType);
        return newType;
    }

    /** token_embd (when the model has an output tensor) and per_layer_token_embd without their option. */
    private GgmlType embeddingType(GgmlType newType) {
        if (any(ftype, IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M, IQ2_XXS_R4, IQ2_XS_R4, IQ1_S_R4, IQ1_M_R4)) return GgmlType.Q2_K;
        if (any(ftype, IQ2_S, IQ2_M, IQ2_M_R4)) return GgmlType.IQ3_S;
        if (any(ftype, IQ3_XXS, IQ3_KT)) return GgmlType.IQ3_S;
        if (ftype == IQ3_XXS_R4) return GgmlType.IQ3_K;
        if (any(ftype, IQ1_BN, IQ2_BN, IQ2_BN_R4)) return GgmlType.IQ4_NL;
        return newType;
    }

    /** The IQ1_S_R4/IQ1_M_R4 branch and the IQ2_KT branch: one shape, their own types; only --ffn-down-type applies. */
    private GgmlType lowBitBranch(LowBitBranch b, GgmlType newType, String name, int nExpert, int gqa) {
        if (name.contains("attn_v.weight")) {
            if (nExpert >= 4 || gqa >= 4) newType = b.attnVGqa4();
            else if (gqa >= 2) newType = b.attnVGqa2();
            else newType = b.attnV();
            iAttentionWv++;
        } else if (nExpert >= 8 && name.contains("attn_k")) {
            newType = b.attnKQ();
        } else if (nExpert >= 8 && (name.contains("blk.0.ffn_down") || name.contains("blk.0.ffn_gate") || name.contains("blk.0.ffn_up"))) {
            newType = b.firstLayerFfn();
        } else if (nExpert >= 8 && name.contains("attn_q")) {
            newType = b.attnKQ();
        } else if (name.contains("attn_qkv.weight")) {
            newType = b.attnQkv();
        } else if (name.contains("_shexp.weight")) {
            newType = b.sharedExpert();
        } else if (name.contains("ffn_down")) {
            int[] li = layerInfo(iFfnDown, nFfn, name);
            if (ik.ffnDown() != null) newType = ik.ffnDown();
            else if (li[0] < li[1] / 8) newType = b.firstFfnDown();
            iFfnDown++;
        } else if (name.contains("attn_output.weight")) {
            newType = nExpert >= 4 ? b.attnOutputMoe() : b.attnOutput();
        }
        return newType;
    }

    private GgmlType attnV(GgmlType newType, int nExpert, int gqa) {
        boolean big = facts.nVocab() >= 127999 && (facts.is8B() || facts.is70B());
        if (ik.attnV() != null) return ik.attnV();
        if (nExpert >= 4) return GgmlType.Q8_0;
        if (facts.is70B()) {
            if (newType == GgmlType.Q3_K || newType == GgmlType.Q4_K) newType = GgmlType.Q5_K;
            if (newType == GgmlType.IQ3_K) newType = GgmlType.IQ5_K;
            return newType;
        }
        if (ftype == Q2_K) return gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
        if (ftype == IQ2_K) return gqa >= 2 ? GgmlType.IQ4_K : GgmlType.IQ3_K;
        if (ftype == IQ2_K_R4) return gqa >= 2 ? GgmlType.IQ4_K_R4 : GgmlType.IQ3_K_R4;
        if (ftype == Q2_K_S && gqa >= 4) return GgmlType.Q4_K;
        if (ftype == Q2_K_R4 && gqa >= 4) return GgmlType.Q4_K_R4;
        if (ftype == IQ3_XXS) return gqa >= 4 ? GgmlType.Q4_K : gqa >= 2 ? GgmlType.IQ3_K : !hasImatrix ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
        if (ftype == IQ3_KT) return gqa >= 4 ? GgmlType.IQ4_K : GgmlType.IQ3_K;
        if (ftype == IQ4_KT) return gqa >= 4 ? GgmlType.IQ5_K : GgmlType.IQ4_K;
        if (ftype == IQ3_XXS_R4) {
            return gqa >= 4 ? GgmlType.Q4_K_R4 : gqa >= 2 ? GgmlType.IQ3_K_R4 : !hasImatrix ? GgmlType.IQ3_K_R4 : GgmlType.IQ3_XXS_R4;
        }
        if (any(ftype, IQ3_XS, IQ3_S) && gqa >= 2) return GgmlType.IQ4_K;
        if (ftype == IQ3_S_R4 && gqa >= 2) return GgmlType.IQ4_K_R4;
        if (ftype == IQ3_K && gqa >= 2) return GgmlType.IQ4_K;
        if (ftype == IQ3_KS && gqa >= 2) return GgmlType.IQ4_KS;
        if (ftype == IQ2_KL && gqa >= 2) return GgmlType.IQ4_KS;
        if (ftype == IQ3_K_R4 && gqa >= 2) return GgmlType.IQ4_K_R4;
        if (any(ftype, IQ3_KL, IQ3_M)) return gqa >= 2 ? GgmlType.IQ5_K : GgmlType.IQ4_K;
        if (ftype == Q3_K_M) return iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
        if (ftype == Q3_K_L) return GgmlType.Q5_K;
        if (any(ftype, IQ4_NL, IQ4_XS, IQ4_NL_R4, IQ4_XS_R8, IQ4_KS, IQ4_KSS) && gqa >= 2) return GgmlType.IQ5_K;
        if (ftype == IQ4_KS_R4 && gqa >= 2) return GgmlType.IQ5_K_R4;
        if (any(ftype, IQ4_K, IQ4_K_R4) && gqa >= 2) return GgmlType.IQ5_K;
        if (any(ftype, Q4_K_M, Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) return GgmlType.Q6_K;
        if (any(ftype, Q4_K_S, Q4_K_R4) && iAttentionWv < 4) return GgmlType.Q5_K;
        if (ftype == Q5_K_S) return big ? GgmlType.Q6_K : newType;
        if (any(ftype, IQ5_K, IQ5_KS)) return big ? GgmlType.IQ6_K : newType;
        boolean draftKm = facts.arch().equals("dflash-draft") && any(ftype, Q4_K_M, Q5_K_M);
        if (gqa >= 4 && !draftKm) {
            return switch (newType) {
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
        return newType;
    }

    private GgmlType ffnDown(GgmlType newType, String name, int nExpert, boolean falcon) {
        int[] li = layerInfo(iFfnDown, nFfn, name);
        int il = li[0], nl = li[1];
        boolean first = il < nl / 8;
        if (ik.ffnDown() != null) return ik.ffnDown();
        if (ftype == Q2_K) return GgmlType.Q3_K;
        if (ftype == Q2_K_S) return first ? GgmlType.Q4_K : newType;
        if (ftype == Q2_K_R4) return first ? GgmlType.Q4_K_R4 : newType;
        if (ftype == IQ3_XXS && !hasImatrix) return first ? GgmlType.Q4_K : GgmlType.Q3_K;
        if (ftype == IQ3_KT && !hasImatrix) return first ? GgmlType.IQ4_K : GgmlType.IQ3_K;
        if (ftype == IQ3_XXS_R4 && !hasImatrix) return first ? GgmlType.Q4_K_R4 : GgmlType.IQ3_K_R4;
        if (ftype == Q3_K_M) return il < nl / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(il, nl) ? GgmlType.Q4_K : GgmlType.Q3_K;
        if (ftype == IQ3_M && (first || (nExpert >= 4 && useMoreBits(il, nl)))) return GgmlType.IQ4_K;
        if (ftype == Q3_K_L) return falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
        if (ftype == IQ3_KL) return useMoreBits(il, nl) ? GgmlType.IQ4_KS : GgmlType.IQ3_K;
        if (ftype == Q4_K_M) {
            if (falcon) return il < nl / 16 ? GgmlType.Q6_K : useMoreBits(il, nl) ? GgmlType.Q5_K : GgmlType.Q4_K;
            return useMoreBits(il, nl) ? GgmlType.Q6_K : newType;
        }
        if (first && !hasImatrix && any(ftype, IQ4_NL, IQ4_XS, IQ4_KS, IQ4_KSS, IQ4_NL_R4, IQ4_XS_R8)) return GgmlType.Q5_K;
        if (ftype == IQ4_KS_R4 && first && !hasImatrix) return GgmlType.Q5_K_R4;
        if (ftype == Q5_K_M && useMoreBits(il, nl)) return GgmlType.Q6_K;
        if (any(ftype, Q4_K_S, Q4_K_R4) && !falcon && first) return GgmlType.Q5_K;
        if (any(ftype, Q4_0, Q5_0) && hasImatrix && first) return ftype == Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
        if (ftype == Q4_0_R8 && hasImatrix && first) return GgmlType.IQ4_NL_R4;
        return newType;
    }

    private GgmlType attnOutput(GgmlType newType, int nExpert, int gqa, boolean falcon) {
        if (ik.attnOutput() != null) return ik.attnOutput();
        if (falcon) return ftype == Q3_K_L ? GgmlType.Q4_K : newType;
        if (nExpert >= 4) {
            if (any(ftype, Q2_K, IQ3_XS, IQ3_XXS, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ3_S, IQ3_M, IQ4_XS, IQ4_K, IQ4_KSS,
                    IQ4_KS, IQ4_KS_R4, IQ5_KS, IQ5_KS_R4, IQ2_K, IQ3_K, IQ3_KL, Q4_K_R4, IQ4_NL_R4, IQ4_XS_R8, Q3_K_R4, IQ3_KT,
                    IQ3_KS, Q2_K_R4, IQ4_K_R4, IQ3_K_R4, IQ2_K_R4, IQ3_XXS_R4, IQ3_S_R4)) return GgmlType.Q5_K;
            if (ftype == IQ2_KL) return GgmlType.IQ4_KS;
            return newType;
        }
        if (ftype == Q2_K) return GgmlType.Q3_K;
        if (ftype == IQ3_XXS) return GgmlType.IQ3_S;
        if (ftype == IQ3_KT && gqa >= 4) return GgmlType.IQ3_K;
        if (ftype == IQ3_XXS_R4) return GgmlType.IQ3_K_R4;
        if (ftype == Q3_K_M) return GgmlType.Q4_K;
        if (ftype == Q3_K_L) return GgmlType.Q5_K;
        if (ftype == IQ3_M) return GgmlType.IQ4_K;
        if (ftype == IQ2_K) return GgmlType.IQ3_K;
        if (ftype == IQ2_K_R4) return GgmlType.IQ3_K_R4;
        if (ftype == IQ3_KL) return GgmlType.IQ4_KS;
        return newType;
    }

    private GgmlType ffnGateOrUp(GgmlType newType, int[] li, GgmlType option) {
        int il = li[0], nl = li[1];
        if (option != null) return option;
        if (ftype == IQ3_XS && il >= nl / 8 && il < 7 * nl / 8) return GgmlType.IQ3_XXS;
        if (ftype == IQ3_KL && useMoreBits(il, nl)) return GgmlType.IQ4_KS;
        return newType;
    }
}
