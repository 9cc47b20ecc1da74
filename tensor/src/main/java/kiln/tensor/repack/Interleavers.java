package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * Registry of the interleaved types Kiln can repack, unpack and dequantize, and ik_llama.cpp's rule for which
 * tensors get repacked ({@code iqk_repacked_type}, spec ik-llama-formats.md §2.5) — shared by {@code kiln repack} and
 * the runtime's run-time repack.
 */
public final class Interleavers {
    private Interleavers() {}

    private static final Map<GgmlType, Interleaver> BY_PACKED = new EnumMap<>(GgmlType.class);
    private static final Map<GgmlType, Interleaver> BY_BASE = new EnumMap<>(GgmlType.class);
    private static final Interleaver Q8_K_R16_SIGNED = new Q8_KRn(GgmlType.Q8_K_R16, false);

    static {
        add(new Q4_0R8());
        add(new Q5_0R4());
        add(new Q6_0R4());
        add(new Q8_0R8());
        add(new Mxfp4R8());
        add(new Q2_KR4());
        add(new Q3_KR4());
        add(KQuantR4.q4());
        add(KQuantR4.q5());
        add(new Q6_KR4());
        add(new IQ4_NLR4());
        add(new IQ4_XSR8());
        add(IqLowKR4.iq2());
        add(IqLowKR4.iq3());
        add(IqKR4.iq4());
        add(IqKR4.iq5());
        add(IqKsR4.iq4());
        add(IqKsR4.iq5());
        add(IqGridR4.iq2xxs());
        add(IqGridR4.iq2xs());
        add(IqGridR4.iq2s());
        add(IqGridR4.iq3xxs());
        add(IqGridR4.iq3s());
        add(new Q8_KRn(GgmlType.Q8_K_R8, false));
        add(new Q8_KVR8());
        add(new Bf16R16());
        // Q8_K_R16 is not ik's repack target for Q8_K (Q8_K_R8 is); registered by packed type only.
        BY_PACKED.put(GgmlType.Q8_K_R16, new Q8_KRn(GgmlType.Q8_K_R16, true));
    }

    private static void add(Interleaver i) {
        BY_PACKED.put(i.packedType(), i);
        BY_BASE.put(i.baseType(), i);
    }

    /** The interleaver for an interleaved type, or null when Kiln does not support it. */
    public static Interleaver forPacked(GgmlType packed) {
        return BY_PACKED.get(packed);
    }

    /** The interleaver for an interleaved type, or a one-line error. */
    public static Interleaver requirePacked(GgmlType packed) {
        Interleaver i = BY_PACKED.get(packed);
        if (i == null) {
            throw new KilnException("Kiln cannot unpack or dequantize interleaved type " + packed.ggmlName()
                    + " yet; it supports: " + supportedNames());
        }
        return i;
    }

    /**
     * Q8_K_R16 in the given quant form: {@code unsignedQuants = true} is what ik writes on AVX512 builds (and what
     * ik's dequantizer assumes; the form {@link #forPacked} returns), false the plain signed form of other builds.
     */
    public static Interleaver q8kR16(boolean unsignedQuants) {
        return unsignedQuants ? BY_PACKED.get(GgmlType.Q8_K_R16) : Q8_K_R16_SIGNED;
    }

    /** The interleaver that ik's {@code --repack} / {@code -rtr} uses for a base type, or null. */
    public static Interleaver forBase(GgmlType base) {
        return BY_BASE.get(base);
    }

    /** Interleaved types Kiln supports. */
    public static Set<GgmlType> supported() {
        return Collections.unmodifiableSet(BY_PACKED.keySet());
    }

    private static String supportedNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : BY_PACKED.keySet()) sb.append(sb.isEmpty() ? "" : ", ").append(t.ggmlName());
        return sb.toString();
    }

    /**
     * ik's base → interleaved map ({@code get_repack_info}): the type ik repacks a tensor of {@code base} into, or null
     * when ik never repacks that type. BF16 and F16 map to BF16_R16 only in ik builds with AVX512-BF16
     * ({@code bf16Build}).
     */
    public static GgmlType ikRepackTarget(GgmlType base, boolean bf16Build) {
        return switch (base) {
            case IQ2_K -> GgmlType.IQ2_K_R4;
            case IQ3_K -> GgmlType.IQ3_K_R4;
            case IQ4_K -> GgmlType.IQ4_K_R4;
            case IQ5_K -> GgmlType.IQ5_K_R4;
            case IQ4_XS -> GgmlType.IQ4_XS_R8;
            case IQ4_KS -> GgmlType.IQ4_KS_R4;
            case IQ5_KS -> GgmlType.IQ5_KS_R4;
            case IQ4_NL -> GgmlType.IQ4_NL_R4;
            case IQ2_BN -> GgmlType.IQ2_BN_R4;
            case IQ2_XXS -> GgmlType.IQ2_XXS_R4;
            case IQ2_XS -> GgmlType.IQ2_XS_R4;
            case IQ2_S -> GgmlType.IQ2_S_R4;
            case IQ3_XXS -> GgmlType.IQ3_XXS_R4;
            case IQ3_S -> GgmlType.IQ3_S_R4;
            case Q2_K -> GgmlType.Q2_K_R4;
            case Q3_K -> GgmlType.Q3_K_R4;
            case Q4_K -> GgmlType.Q4_K_R4;
            case Q5_K -> GgmlType.Q5_K_R4;
            case Q6_K -> GgmlType.Q6_K_R4;
            case Q4_0 -> GgmlType.Q4_0_R8;
            case Q5_0 -> GgmlType.Q5_0_R4;
            case Q6_0 -> GgmlType.Q6_0_R4;
            case Q8_0 -> GgmlType.Q8_0_R8;
            case Q8_K -> GgmlType.Q8_K_R8;
            case Q8_KV -> GgmlType.Q8_KV_R8;
            case MXFP4 -> GgmlType.MXFP4_R8;
            case BF16, F16 -> bf16Build ? GgmlType.BF16_R16 : null;
            default -> null;
        };
    }

    /** {@code is_forbidden_tensor}: ik never repacks the token embeddings. */
    public static boolean isNeverRepacked(String tensorName) {
        return tensorName.equals("token_embd.weight") || tensorName.equals("per_layer_token_embd.weight");
    }

    /**
     * ik's {@code iqk_repacked_type}: the interleaved type a tensor becomes under {@code --repack} / {@code -rtr}, or
     * null when it stays as it is (type without an interleaved form, token embeddings, or {@code ne[1]} not a
     * multiple of the interleave). The test is on {@code ne[1]}, not on the total row count.
     */
    public static GgmlType ikRepackedType(String tensorName, GgmlType type, long[] ne, boolean bf16Build) {
        if (isNeverRepacked(tensorName)) return null;
        GgmlType target = ikRepackTarget(type, bf16Build);
        if (target == null) return null;
        long ne1 = ne.length > 1 ? ne[1] : 1;
        return ne1 % target.interleave() == 0 ? target : null;
    }
}
