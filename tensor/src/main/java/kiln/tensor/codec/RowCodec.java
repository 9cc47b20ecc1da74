package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * The one place where the bytes of a ggml type are produced and read: quantization of f32 values into
 * blocks and dequantization of blocks back to f32, bit-exact with ggml's scalar reference
 * ({@code ggml-quants.c}; ik_llama.cpp's own routines for the {@link Flavor#IK} flavour).
 *
 * <p>Both directions work on whole blocks: {@code n} must be a multiple of {@link GgmlType#blockSize()}.
 * A row of a type with per-row metadata ({@link GgmlType#rowMetaBytes()} &gt; 0) is handled by passing the
 * whole row ({@code n} = row length) so the metadata at its start is included.
 */
public interface RowCodec {

    GgmlType type();

    /** Dequantizes {@code n} values whose bytes start at {@code src[srcOffset]} into {@code dst[dstOff..dstOff+n)}. */
    void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n);

    /**
     * Quantizes {@code src[srcOff..srcOff+n)} into bytes at {@code dst[dstOffset]}.
     *
     * <p>With {@code weights}, {@code n} must be exactly one row: several ggml quantizers take statistics over the
     * whole row, as {@code ggml_quantize_chunk} runs {@code quantize_row_*_impl} once per row. Non-finite input or
     * weights are refused with a {@link kiln.tensor.KilnException}.
     *
     * @param weights per-column importance weights of length n (the imatrix entry for this row's columns; for a 3-D
     *                tensor the slice of its matrix {@code i03}), or null
     */
    default void quantize(float[] src, int srcOff, MemorySegment dst, long dstOffset, int n, float[] weights) {
        throw new UnsupportedOperationException("Kiln cannot quantize to " + type().ggmlName() + " yet");
    }

    /** Whether {@link #quantize} is implemented. */
    default boolean canQuantize() {
        return false;
    }

    /** Whether quantizing to this type requires importance weights (IQ2_XXS, IQ2_XS, IQ1_S). */
    default boolean requiresImatrix() {
        return false;
    }
}
