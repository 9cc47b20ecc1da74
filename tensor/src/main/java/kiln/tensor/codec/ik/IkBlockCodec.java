package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Base of ik_llama.cpp's block quantizers: checks the arguments, stages a row's bytes in a heap array and hands
 * the subclass plain arrays. Dequantization is mainline's (the block layouts are the same), looked up in the
 * mainline registry when called.
 *
 * <p>Row contract: without weights any whole number of blocks may be passed (every block is independent). With
 * weights, {@code n} should be one row and {@code weights[0..n)} its columns, as {@code ggml_quantize_chunk} calls
 * the {@code quantize_row_*_impl} functions per row. Non-finite input or weights are refused with a
 * {@link KilnException} (ik's {@code ggml_validate_row_data} would reject the result anyway).
 */
abstract class IkBlockCodec implements RowCodec {
    private final GgmlType type;

    IkBlockCodec(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final boolean canQuantize() {
        return true;
    }

    /** Quantizes {@code n} values (whole blocks) of {@code x} from {@code xOff} into {@code out} from 0. */
    abstract void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out);

    @Override
    public final void quantize(float[] src, int srcOff, MemorySegment dst, long dstOffset, int n, float[] weights) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type.ggmlName() + " works on whole blocks of " + type.blockSize()
                    + " values; got " + n);
        }
        checkFinite(src, srcOff, n, "input row");
        if (weights != null) {
            if (weights.length < n) {
                throw new IllegalArgumentException("importance weights hold " + weights.length + " values, the row " + n);
            }
            checkFinite(weights, 0, n, "importance weights");
        }
        byte[] out = new byte[Math.toIntExact(type.rowSize(n))]; // with per-row metadata: n is one row
        quantizeBlocks(src, srcOff, n, weights, out);
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, out.length);
    }

    /**
     * Mainline's dequantization where mainline has the type (same block layout); otherwise each block staged in one
     * reused array and decoded by {@link #dequantizeBlock}. ik-only types with per-row metadata override this.
     */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        RowCodec mainline = Codecs.find(type);
        if (mainline != null && mainline.getClass() != getClass()) { // (not this codec's other view, IQ6_K's kernel levels)
            mainline.dequantize(src, srcOffset, dst, dstOff, n);
            return;
        }
        int bs = type.blockSize(), size = type.typeSize();
        if (n < 0 || n % bs != 0) {
            throw new IllegalArgumentException(type.ggmlName() + " works on whole blocks of " + bs + " values; got " + n);
        }
        byte[] block = new byte[size];
        for (int i = 0; i < n / bs; i++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + (long) i * size, block, 0, size);
            dequantizeBlock(block, dst, dstOff + i * bs);
        }
    }

    /** One block of an ik-only type ({@code block[0..typeSize)}) into {@code y[yOff..yOff+blockSize)}. */
    void dequantizeBlock(byte[] block, float[] y, int yOff) {
        throw new UnsupportedOperationException("Kiln cannot dequantize " + type.ggmlName() + " yet");
    }

    private void checkFinite(float[] a, int off, int n, String what) {
        for (int i = 0; i < n; i++) {
            float v = a[off + i];
            if (!Float.isFinite(v)) {
                throw new KilnException("cannot quantize to " + type.ggmlName() + ": the " + what + " holds "
                        + (Float.isNaN(v) ? "NaN" : "Inf") + " (at index " + i + "); NaN and Inf cannot be quantized");
            }
        }
    }

    // ------------------------------------------------------------------ little-endian helpers on byte[]

    static float half(byte[] b, int off) {
        return kiln.tensor.codec.BlockCodec.half(b, off);
    }

    static void putHalf(byte[] b, int off, float f) {
        kiln.tensor.codec.BlockCodec.putHalf(b, off, f);
    }

    static void putFloat(byte[] b, int off, float f) {
        int v = Float.floatToRawIntBits(f);
        for (int i = 0; i < 4; i++) b[off + i] = (byte) (v >>> 8 * i);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }
}
