package kiln.tensor.codec.ik;

import kiln.tensor.codec.RowCodec;

import java.util.List;

/**
 * ik_llama.cpp's quantizers where their bytes differ from mainline's; registered by
 * {@link kiln.tensor.codec.Codecs} for {@link kiln.tensor.codec.Flavor#IK}. Each one is verified byte for byte
 * against ik's own files in the fixtures (see tensor/IK_CODECS.md). Dequantization is mainline's.
 *
 * <p>Why they differ: ik compiles {@code ggml-quants.c} for the host CPU, so gcc fuses multiply-adds; mainline's
 * reference build does not. ik also changed some algorithms (IQ4_XS/IQ4_NL level search, make_qx_quants' descent).
 * Types not listed here quantize in ik with the mainline codec (Q8_0 is byte-identical); other ik types
 * (Q2_K, Q3_K, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_0 with an imatrix) are not reproduced yet and must not be claimed.
 */
public final class IkCodecs {
    private IkCodecs() {}

    public static List<RowCodec> all() {
        return List.of(IkLegacy.Q4_0, IkQ45K.Q4_K, IkQ45K.Q5_K, IkQ6K.INSTANCE, IkIq4.IQ4_XS);
    }
}
