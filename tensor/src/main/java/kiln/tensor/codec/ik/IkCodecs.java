package kiln.tensor.codec.ik;

import kiln.tensor.codec.RowCodec;

import java.util.List;

/**
 * ik_llama.cpp's quantizers where they differ from mainline's (its own {@code ggml-quants.c} and
 * {@code iqk/}); registered by {@link kiln.tensor.codec.Codecs} for {@link kiln.tensor.codec.Flavor#IK}.
 * Types not listed here quantize identically in both tools.
 */
public final class IkCodecs {
    private IkCodecs() {}

    public static List<RowCodec> all() {
        return List.of();
    }
}
