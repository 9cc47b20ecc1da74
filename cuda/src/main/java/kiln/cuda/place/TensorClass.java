package kiln.cuda.place;

/** The groups of tensors the plan reports, told apart by their GGUF names. */
public enum TensorClass {
    EMBEDDINGS("token embeddings"),
    ATTENTION("attention"),
    ROUTER("expert router"),
    ROUTED_EXPERTS("routed experts"),
    SHARED_EXPERTS("shared experts"),
    DENSE_FFN("dense FFN"),
    NORMS("norms"),
    OUTPUT("output head"),
    OTHER("other");

    private final String label;

    TensorClass(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static TensorClass of(String name) {
        if (name.startsWith("token_embd.")) return EMBEDDINGS;
        if (name.startsWith("output.")) return OUTPUT;
        if (name.endsWith("_norm.weight") || name.endsWith("_norm.bias") || name.contains("_norm.")) return NORMS;
        if (name.matches(".*\\.ffn_(up|down|gate|gate_up)_exps\\..*")) return ROUTED_EXPERTS;
        if (name.contains("_shexp.")) return SHARED_EXPERTS;
        if (name.contains(".ffn_gate_inp.") || name.contains(".exp_probs_b")) return ROUTER;
        if (name.matches(".*\\.ffn_(up|down|gate)\\..*")) return DENSE_FFN;
        if (name.contains(".attn_")) return ATTENTION;
        return OTHER;
    }
}
