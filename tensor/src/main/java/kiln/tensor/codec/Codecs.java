package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.repack.InterleavedCodec;
import kiln.tensor.repack.Interleavers;

import java.util.EnumMap;
import java.util.Map;

/**
 * Registry of row codecs by type and flavour. Dequantization is the same for both flavours; quantization
 * differs for some types (ik_llama.cpp's quantizers are not mainline's).
 */
public final class Codecs {
    private Codecs() {}

    private static final Map<GgmlType, RowCodec> MAINLINE = new EnumMap<>(GgmlType.class);
    private static final Map<GgmlType, RowCodec> IK = new EnumMap<>(GgmlType.class);

    static {
        register(FloatCodecs.F32);
        register(FloatCodecs.F16);
        register(FloatCodecs.BF16);
        // ggml's scalar reference codecs (ggml-quants.c), registered for both flavours; ik's differing
        // quantizers replace some of them for Flavor.IK just below.
        register(LegacyQuants.Q4_0);
        register(LegacyQuants.Q4_1);
        register(LegacyQuants.Q5_0);
        register(LegacyQuants.Q5_1);
        register(LegacyQuants.Q8_0);
        register(Q2K.INSTANCE);
        register(Q3K.INSTANCE);
        register(Q45K.Q4_K);
        register(Q45K.Q5_K);
        register(Q6K.INSTANCE);
        register(Q8K.INSTANCE);
        register(Iq4Quants.IQ4_NL);
        register(Iq4Quants.IQ4_XS);
        for (RowCodec c : kiln.tensor.codec.ik.IkCodecs.all()) register(c, Flavor.IK);
        for (Flavor f : Flavor.values()) {
            for (RowCodec c : kiln.tensor.codec.grid.GridCodecs.of(f)) register(c, f);
        }
        for (RowCodec c : kiln.tensor.codec.grid.GridCodecs.ikFourRow()) register(c, Flavor.IK);
    }

    /** Registers a codec for both flavours. */
    static void register(RowCodec c) {
        MAINLINE.put(c.type(), c);
        IK.put(c.type(), c);
    }

    /** Registers a codec whose quantizer is specific to one flavour. */
    static void register(RowCodec c, Flavor flavor) {
        (flavor == Flavor.IK ? IK : MAINLINE).put(c.type(), c);
    }

    /**
     * The codec for a type: mainline's where mainline has the type, else ik's (ik-only types such as IQ5_K and
     * Q6_0). Dequantization is the same in both flavours, so readers use this; null when Kiln has none. An
     * interleaved type's codec ({@link InterleavedCodec}, or a four-row type's own such as IQ1_S_R4) works on whole
     * groups of rows.
     */
    public static RowCodec find(GgmlType type) {
        if (type.isInterleaved() && Interleavers.forPacked(type) != null) return InterleavedCodec.of(type, Flavor.IK);
        RowCodec c = MAINLINE.get(type);
        return c != null ? c : IK.get(type);
    }

    /** The codec whose quantizer is {@code flavor}'s (an interleaved type: its base type's in that flavour), or null. */
    public static RowCodec find(GgmlType type, Flavor flavor) {
        if (type.isInterleaved() && Interleavers.forPacked(type) != null) return InterleavedCodec.of(type, flavor);
        return (flavor == Flavor.IK ? IK : MAINLINE).get(type);
    }

    /** The codec for a type, or a one-line error naming the type and what Kiln supports. */
    public static RowCodec require(GgmlType type, Flavor flavor) {
        RowCodec c = find(type, flavor);
        if (c == null) throw new KilnException("Kiln has no codec for type " + type.ggmlName() + "; it supports: " + supported());
        return c;
    }

    public static boolean canDequantize(GgmlType type) {
        return find(type) != null;
    }

    public static String supported() {
        StringBuilder sb = new StringBuilder();
        java.util.EnumSet<GgmlType> all = java.util.EnumSet.noneOf(GgmlType.class);
        all.addAll(MAINLINE.keySet());
        all.addAll(IK.keySet());
        all.addAll(Interleavers.supported());
        for (GgmlType t : all) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(t.ggmlName());
        }
        return sb.toString();
    }
}
