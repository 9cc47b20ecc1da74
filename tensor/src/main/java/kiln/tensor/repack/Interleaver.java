package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * One of ik_llama.cpp's row-interleaved types ({@code _R4/_R8/_R16}, spec ik-llama-formats.md §2.3–2.4): how
 * {@link #rows()} consecutive rows of the {@link #baseType() base type} become one interleaved group, the exact
 * inverse, and dequantization of a group.
 *
 * <p>A "group" is {@code rows()} consecutive rows of a tensor (row index in flattened ne1·ne2·ne3 order). In both
 * types a group occupies {@link #groupBytes(long)} bytes, except for {@link GgmlType#Q8_K_R8}/{@link GgmlType#Q8_K_R16}
 * and {@link GgmlType#Q8_KV_R8}, whose bases {@link GgmlType#Q8_K} and {@link GgmlType#Q8_KV} are larger (they carry
 * sums the interleaved form drops).
 *
 * <p>All methods are thread-safe (no shared state) and take {@code long} offsets; the caller passes whole groups.
 */
public interface Interleaver {

    /** The interleaved type (e.g. {@link GgmlType#Q4_K_R4}). */
    GgmlType packedType();

    /** The type whose rows are interleaved (e.g. {@link GgmlType#Q4_K}). */
    GgmlType baseType();

    /** Rows per group (4, 8 or 16). */
    default int rows() {
        return packedType().interleave();
    }

    /** Bytes of one group of the interleaved type for rows of {@code nPerRow} elements. */
    default long groupBytes(long nPerRow) {
        return packedType().rowSize(nPerRow) * rows();
    }

    /** Bytes of the {@link #rows()} base rows that make one group. */
    default long baseGroupBytes(long nPerRow) {
        return baseType().rowSize(nPerRow) * rows();
    }

    /**
     * Interleaves {@link #rows()} consecutive base rows at {@code src[srcOff]} into one group at {@code dst[dstOff]}
     * (ik's {@code repack_*} with {@code online = false}).
     */
    void repack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long nPerRow);

    /** The inverse of {@link #repack}: one group at {@code src[srcOff]} back to {@link #rows()} base rows at {@code dst[dstOff]}. */
    void unpack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long nPerRow);

    /**
     * Dequantizes one group to {@code rows() * nPerRow} floats, row k's element j at {@code dst[dstOff + k*nPerRow + j]}.
     * The values are bit-identical to dequantizing the base rows with the base type's codec.
     */
    void dequantize(MemorySegment src, long srcOff, long nPerRow, float[] dst, int dstOff);
}
