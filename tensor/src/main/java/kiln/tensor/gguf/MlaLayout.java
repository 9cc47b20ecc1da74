package kiln.tensor.gguf;

import java.util.List;

/**
 * How a DeepSeek (deepseek2) file stores MLA attention, and the one place that reads it from a file's tensors:
 * convert's {@code --mla-layout} and re-layout, validate's report, and (through {@link kiln.tensor.codec.Flavor#of})
 * the tool whose rules and numerics quantize, imatrix and the runtime follow.
 */
public enum MlaLayout {
    /** ik_llama.cpp's converter: attn_kv_b plus 2-D attn_k_b and attn_v_b, MHA-style keys. */
    IK("ik", "attn_kv_b + 2-D attn_k_b/attn_v_b"),
    /** llama.cpp's converter: 3-D attn_k_b/attn_v_b, no attn_kv_b, head_count_kv 1 and the *_mla keys. */
    MAINLINE("mainline", "3-D attn_k_b/attn_v_b, no attn_kv_b"),
    /** attn_kv_b only (both converters before the split), ik keys. */
    LEGACY("legacy", "attn_kv_b only");

    private final String label, tensors;

    MlaLayout(String label, String tensors) {
        this.label = label;
        this.tensors = tensors;
    }

    /** The attention tensors that make the layout, for messages: "attn_kv_b + 2-D attn_k_b/attn_v_b". */
    public String tensors() {
        return tensors;
    }

    /** "ik", "mainline" or "legacy", as {@code --mla-layout} spells it. */
    public String label() {
        return label;
    }

    /**
     * The layout of a file's tensors, or null when it has no MLA attention tensors. Any layer decides (not only blk.0), so
     * one damaged name does not change the verdict: a 3-D attn_k_b is mainline's, a 2-D one ik's, attn_kv_b alone legacy.
     */
    public static MlaLayout of(List<TensorInfo> tensors) {
        boolean kvb = false;
        for (TensorInfo t : tensors) {
            String n = t.name();
            if (!n.startsWith("blk.")) continue;
            if (n.endsWith(".attn_k_b.weight")) return t.nDims() == 3 ? MAINLINE : IK;
            if (n.endsWith(".attn_kv_b.weight")) kvb = true;
        }
        return kvb ? LEGACY : null;
    }

    public static MlaLayout parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "ik" -> IK;
            case "mainline" -> MAINLINE;
            case "legacy" -> LEGACY;
            default -> throw new kiln.tensor.KilnException("--mla-layout: unknown layout '" + s + "' (expected ik, mainline or legacy)");
        };
    }
}
