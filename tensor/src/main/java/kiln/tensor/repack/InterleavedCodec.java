package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * The codec of an interleaved type (_R4/_R8/_R16): the one place where such a type is read and written, so that
 * every stage (quantize, convert, validate, the runtime) handles interleaved files the same way.
 *
 * <p>A call covers whole groups: {@code n} = {@link Interleaver#rows()} · row length. Dequantization goes through the
 * interleaver (bit-identical to the base type's codec on the unpacked rows, and available even where Kiln has no codec
 * for the base type); quantization is the base type's codec row by row followed by the interleaving, which is how ik
 * quantizes straight to an interleaved type. With importance weights, {@code weights} is the one row's vector that
 * every row of the group shares.
 */
public final class InterleavedCodec implements RowCodec {
    private static final Map<GgmlType, InterleavedCodec> MAINLINE = new EnumMap<>(GgmlType.class);
    private static final Map<GgmlType, InterleavedCodec> IK = new EnumMap<>(GgmlType.class);

    static {
        for (GgmlType t : Interleavers.supported()) {
            Interleaver il = Interleavers.forPacked(t);
            MAINLINE.put(t, new InterleavedCodec(il, Flavor.MAINLINE));
            IK.put(t, new InterleavedCodec(il, Flavor.IK));
        }
    }

    private final Interleaver interleaver;
    private final Flavor flavor;

    private InterleavedCodec(Interleaver interleaver, Flavor flavor) {
        this.interleaver = interleaver;
        this.flavor = flavor;
    }

    /** The codec of an interleaved type whose base rows are quantized in {@code flavor}'s way, or null when Kiln has no interleaver for it. */
    public static InterleavedCodec of(GgmlType packed, Flavor flavor) {
        return (flavor == Flavor.IK ? IK : MAINLINE).get(packed);
    }

    public Interleaver interleaver() {
        return interleaver;
    }

    @Override
    public GgmlType type() {
        return interleaver.packedType();
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        interleaver.dequantize(src, srcOffset, rowLength(n), dst, dstOff);
    }

    @Override
    public void quantize(float[] src, int srcOff, MemorySegment dst, long dstOffset, int n, float[] weights) {
        RowCodec base = base();
        if (base == null || !base.canQuantize()) {
            throw new UnsupportedOperationException("Kiln cannot quantize to " + type().ggmlName() + " yet");
        }
        int ne0 = rowLength(n);
        int rows = interleaver.rows();
        long baseRow = interleaver.baseType().rowSize(ne0);
        MemorySegment group = MemorySegment.ofArray(new byte[Math.toIntExact(baseRow * rows)]);
        for (int k = 0; k < rows; k++) base.quantize(src, srcOff + k * ne0, group, k * baseRow, ne0, weights);
        interleaver.repack(group, 0, dst, dstOffset, ne0);
    }

    @Override
    public boolean canQuantize() {
        RowCodec base = base();
        return base != null && base.canQuantize();
    }

    @Override
    public boolean requiresImatrix() {
        RowCodec base = base();
        return base != null && base.requiresImatrix();
    }

    private RowCodec base() {
        return kiln.tensor.codec.Codecs.find(interleaver.baseType(), flavor);
    }

    private int rowLength(int n) {
        int rows = interleaver.rows();
        if (n % rows != 0) {
            throw new IllegalArgumentException(type().ggmlName() + ": " + n + " values are not whole groups of " + rows + " rows");
        }
        return n / rows;
    }
}
