package kiln.quantize;

import kiln.tensor.GgmlType;

/**
 * ik_llama.cpp's own llama-quantize options (null: not given). The per-class types apply inside
 * {@code llama_tensor_get_type} at the branch of their class, before the mix's own rule for it (so not in every
 * mix: the very-low-bit mixes IQ2_XXS … IQ2_KS only read {@code --attn-output-type}, IQ1_S_R4/IQ1_M_R4 and IQ2_KT
 * only {@code --ffn-down-type}); {@code --custom-q} rules still win over them.
 *
 * @param attnQ               --attn-q-type (tensors whose name contains "attn_q", DeepSeek's attn_q_a/attn_q_b too)
 * @param attnK               --attn-k-type (names containing "attn_k": DeepSeek's attn_kv_a_mqa, attn_kv_b, attn_k_b)
 * @param attnV               --attn-v-type (names containing "attn_v.weight")
 * @param attnQkv             --attn-qkv-type
 * @param attnOutput          --attn-output-type
 * @param ffnGate             --ffn-gate-type (names containing "ffn_gate": experts, shared experts, ffn_gate_inp)
 * @param ffnDown             --ffn-down-type
 * @param ffnUp               --ffn-up-type
 * @param ffnGateInp          --ffn-gate-inp-type: ik quantizes the expert router only when this is given (and differs)
 * @param perLayerTokenEmbd   --per-layer-token-embedding-type
 * @param ignoreImatrixRules  --ignore-imatrix-rules: no "needs an importance matrix" refusals
 */
public record IkOptions(GgmlType attnQ, GgmlType attnK, GgmlType attnV, GgmlType attnQkv, GgmlType attnOutput,
                        GgmlType ffnGate, GgmlType ffnDown, GgmlType ffnUp, GgmlType ffnGateInp, GgmlType perLayerTokenEmbd,
                        boolean ignoreImatrixRules) {

    public static final IkOptions NONE = new IkOptions(null, null, null, null, null, null, null, null, null, null, false);

    /** Whether any option differs from ik's defaults (mainline has none of them). */
    public boolean any() {
        return !equals(NONE);
    }
}
