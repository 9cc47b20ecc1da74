package kiln.convert.arch;

/** How DeepSeek's MLA attention is stored. */
public enum MlaLayout {
    /** ik_llama.cpp's converter: attn_kv_b plus 2-D attn_k_b and attn_v_b, MHA-style keys. */
    IK,
    /** llama.cpp's converter: 3-D attn_k_b/attn_v_b, no attn_kv_b, head_count_kv 1 and the *_mla keys. */
    MAINLINE,
    /** attn_kv_b only (both converters before the split), ik keys. */
    LEGACY;

    public static MlaLayout parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "ik" -> IK;
            case "mainline" -> MAINLINE;
            case "legacy" -> LEGACY;
            default -> throw new kiln.tensor.KilnException("--mla-layout: unknown layout '" + s + "' (expected ik, mainline or legacy)");
        };
    }
}
