package kiln.runtime.model;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.repack.Interleaver;

import java.lang.foreign.MemorySegment;

/**
 * Reads an interleaved type (_R4/_R8/_R16) through the same interleaver `kiln repack` uses: a call covers whole
 * groups ({@code n} = rows()·row length, as {@link kiln.runtime.kernel.Weight#dequantizeRow} passes it); the values
 * are bit-identical to the base type's codec on the unpacked rows.
 */
final class InterleavedCodec implements RowCodec {
    private final Interleaver interleaver;

    InterleavedCodec(Interleaver interleaver) {
        this.interleaver = interleaver;
    }

    @Override
    public GgmlType type() {
        return interleaver.packedType();
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        int rows = interleaver.rows();
        if (n % rows != 0) throw new IllegalArgumentException(type().ggmlName() + ": " + n + " values are not whole groups of " + rows + " rows");
        interleaver.dequantize(src, srcOffset, n / rows, dst, dstOff);
    }
}
