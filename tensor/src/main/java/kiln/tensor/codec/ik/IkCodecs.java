package kiln.tensor.codec.ik;

import kiln.tensor.codec.RowCodec;

import java.util.List;

/**
 * ik_llama.cpp's quantizers where their bytes differ from mainline's; registered by
 * {@link kiln.tensor.codec.Codecs} for {@link kiln.tensor.codec.Flavor#IK}. Dequantization is mainline's (same
 * block layouts). Q8_0 (identical bytes in both tools) and the float types keep the shared codecs.
 *
 * <p>Why the bytes differ: ik compiles {@code ggml-quants.c} for the host CPU in GNU C mode, so gcc fuses
 * multiply-adds (see {@link FusedMath}); mainline's reference build does not. ik also changed some algorithms:
 * make_qx_quants gained a greedy descent (Q6_K, Q3_K/Q4_0/Q5_0 with weights), IQ4_NL/IQ4_XS a table-driven level
 * search and descent, Q2_K a ternary ("TriNet") shortcut.
 *
 * <p>Each codec is verified with and without importance weights (tensor/IK_CODECS.md): Q4_0, Q4_K, Q5_K, Q6_K and
 * IQ4_XS against ik's own fixture files, the others against ik's quantizer output on every fixture tensor.
 * The trellis types (IQ1_KT … IQ4_KT, {@link TrellisCodec}), ik-only, against ik's output on every fixture tensor too.
 */
public final class IkCodecs {
    private IkCodecs() {}

    public static List<RowCodec> all() {
        return List.of(IkLegacy.Q4_0, IkLegacy.Q4_1, IkLegacy.Q5_0, IkLegacy.Q5_1, IkQ2K.INSTANCE, IkQ3K.INSTANCE,
                IkQ45K.Q4_K, IkQ45K.Q5_K, IkQ6K.INSTANCE, IkIq4.IQ4_NL, IkIq4.IQ4_XS, IkIq2K.INSTANCE, IkIq3K.INSTANCE, IkIq4K.INSTANCE,
                IkIq5K.INSTANCE, IkIq6K.INSTANCE, IkIqKs.IQ4_KS, IkIqKs.IQ5_KS,
                IkIq3Ks.INSTANCE, IkIq4Kss.INSTANCE, IkIq2Kl.INSTANCE, IkIq2Ks.INSTANCE, IkQ60.INSTANCE,
                IkIq1Kt.INSTANCE, IkIq2Kt.INSTANCE, IkIq3Kt.INSTANCE, IkIq4Kt.INSTANCE, IkQ8Kv.INSTANCE);
    }
}
