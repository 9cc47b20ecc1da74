package kiln.tensor.codec;

import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.MlaLayout;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;
import java.util.Locale;

/** Whose quantizers (and, in {@code quantize}, whose mixes) to reproduce byte for byte. */
public enum Flavor {
    /** ggml-org/llama.cpp. */
    MAINLINE,
    /** ikawrakow/ik_llama.cpp. */
    IK;

    /**
     * The tool a file was made for, the one place that decides it (quantize's and convert's default flavour, imatrix's
     * {@code --reference auto}, the runtime's {@code --numerics auto}): ik_llama.cpp for a deepseek2 file that keeps
     * attn_kv_b (ik's MLA layout or the legacy one) or for any tensor of a type only ik knows (_R4, IQ4_KS, …);
     * mainline llama.cpp otherwise.
     */
    public static Flavor of(GgufMetadata metadata, List<TensorInfo> tensors) {
        for (TensorInfo t : tensors) if (!t.type().knownToMainline()) return IK;
        if (!"deepseek2".equals(metadata.architecture())) return MAINLINE;
        MlaLayout layout = MlaLayout.of(tensors);
        return layout == MlaLayout.IK || layout == MlaLayout.LEGACY ? IK : MAINLINE;
    }

    /** {@code --flavor}: mainline (llama.cpp) or ik (ik_llama, ik_llama.cpp); null when the name is neither. */
    public static Flavor parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "mainline", "llama.cpp" -> MAINLINE;
            case "ik", "ik_llama", "ik_llama.cpp" -> IK;
            default -> null;
        };
    }
}
