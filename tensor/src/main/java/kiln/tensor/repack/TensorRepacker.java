package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.LittleEndian;

import java.lang.foreign.MemorySegment;

/**
 * Whole-tensor (or group-range) repack and unpack on memory segments, for {@code kiln repack} and the runtime's
 * run-time repack. Work is split by groups of {@link Interleaver#rows()} rows; callers parallelize over group ranges.
 */
public final class TensorRepacker {
    private TensorRepacker() {}

    /** Number of interleaved groups in a tensor of {@code rowCount} rows (which must be a multiple of the interleave). */
    public static long groups(Interleaver il, long rowCount) {
        if (rowCount % il.rows() != 0) {
            throw new IllegalArgumentException(il.packedType().ggmlName() + " needs a multiple of " + il.rows() + " rows, got " + rowCount);
        }
        return rowCount / il.rows();
    }

    /**
     * Repacks groups {@code [from, to)} of a tensor whose rows of {@code srcType} start at {@code src[0]} into
     * {@code dst[0..]} (same group positions). {@code srcType} is the interleaver's base type, or F16 for BF16_R16
     * (converted through f32 and truncated to bf16, as ik does).
     */
    public static void repack(GgmlType srcType, Interleaver il, MemorySegment src, MemorySegment dst, long nPerRow, long from, long to) {
        long srcGroup = srcType.rowSize(nPerRow) * il.rows();
        long dstGroup = il.groupBytes(nPerRow);
        if (srcType == il.baseType()) {
            for (long g = from; g < to; g++) il.repack(src, g * srcGroup, dst, g * dstGroup, nPerRow);
        } else if (srcType == GgmlType.F16 && il.packedType() == GgmlType.BF16_R16) {
            MemorySegment tmp = MemorySegment.ofArray(new byte[Math.toIntExact(il.baseGroupBytes(nPerRow))]);
            long n = nPerRow * il.rows();
            for (long g = from; g < to; g++) {
                long off = g * srcGroup;
                for (long i = 0; i < n; i++) {
                    float f = LittleEndian.f16(src, off + 2 * i);
                    LittleEndian.put16(tmp, 2 * i, (short) (Float.floatToRawIntBits(f) >>> 16));
                }
                il.repack(tmp, 0, dst, g * dstGroup, nPerRow);
            }
        } else {
            throw new IllegalArgumentException("cannot repack " + srcType.ggmlName() + " into " + il.packedType().ggmlName());
        }
    }

    /** Unpacks groups {@code [from, to)} of an interleaved tensor at {@code src[0]} into base rows at {@code dst[0]}. */
    public static void unpack(Interleaver il, MemorySegment src, MemorySegment dst, long nPerRow, long from, long to) {
        long srcGroup = il.groupBytes(nPerRow);
        long dstGroup = il.baseGroupBytes(nPerRow);
        for (long g = from; g < to; g++) il.unpack(src, g * srcGroup, dst, g * dstGroup, nPerRow);
    }

    /**
     * Dequantizes rows {@code [firstRow, firstRow + n)} of an interleaved tensor (both multiples of the interleave)
     * into {@code out[outOff..]}, row-major.
     */
    public static void dequantizeRows(Interleaver il, MemorySegment src, long nPerRow, long firstRow, int n, float[] out, int outOff) {
        int r = il.rows();
        if (firstRow % r != 0 || n % r != 0) {
            throw new IllegalArgumentException("rows must be whole groups of " + r + ": first " + firstRow + ", count " + n);
        }
        long group = il.groupBytes(nPerRow);
        for (int k = 0; k < n; k += r) {
            il.dequantize(src, (firstRow + k) / r * group, nPerRow, out, Math.toIntExact(outOff + k * nPerRow));
        }
    }
}
