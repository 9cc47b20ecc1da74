package kiln.tensor.codec;

/** Whose quantizers (and, in {@code quantize}, whose mixes) to reproduce byte for byte. */
public enum Flavor {
    /** ggml-org/llama.cpp. */
    MAINLINE,
    /** ikawrakow/ik_llama.cpp. */
    IK
}
