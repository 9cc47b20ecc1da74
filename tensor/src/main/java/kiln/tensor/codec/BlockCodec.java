package kiln.tensor.codec;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Base of the block-quantized codecs: checks the arguments, stages the bytes of a row in a heap array (blocks are
 * tiny; a row is at most a few KB) and hands the subclass plain {@code float[]}/{@code byte[]} views.
 *
 * <p><b>Row contract of {@link #quantize}.</b> Without weights, ggml's reference quantizers depend only on each block,
 * so any whole number of blocks may be passed. With weights (an imatrix), several types take statistics over the
 * whole row (Q4_0/Q4_1/Q5_0/Q5_1 use Σx² over {@code n_per_row}), so {@code n} must then be exactly one row and
 * {@code weights[0..n)} its columns — as {@code ggml_quantize_chunk} calls {@code quantize_row_*_impl} per row.
 *
 * <p><b>Non-finite input is refused.</b> ggml would quantize NaN/Inf into garbage scales that llama-quantize's
 * {@code ggml_validate_row_data} then rejects ("quantized data validation failed"); Kiln fails earlier with a
 * {@link KilnException} saying that the input holds NaN or Inf. Weights must be finite too (spec §4.6).
 *
 * <p>Public so that ik_llama.cpp's quantizers ({@code kiln.tensor.codec.ik}) can reuse the staging, the checks
 * and the little-endian helpers.
 */
public abstract class BlockCodec implements RowCodec {
    private final GgmlType type;

    protected BlockCodec(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public boolean canQuantize() {
        return true;
    }

    /** Quantizes {@code n} values (whole blocks) of {@code x} from {@code xOff} into {@code out} (from 0). */
    protected abstract void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out);

    /** Dequantizes {@code n} values (whole blocks) whose bytes are {@code in} (from 0) into {@code y[yOff..]}. */
    protected abstract void dequantizeBlocks(byte[] in, float[] y, int yOff, int n);

    @Override
    public final void quantize(float[] src, int srcOff, MemorySegment dst, long dstOffset, int n, float[] weights) {
        checkBlocks(n);
        checkFinite(src, srcOff, n, "input row");
        if (weights != null) {
            if (weights.length < n) {
                throw new IllegalArgumentException("importance weights hold " + weights.length + " values, the row " + n);
            }
            checkFinite(weights, 0, n, "importance weights");
        }
        byte[] out = new byte[byteCount(n)];
        quantizeBlocks(src, srcOff, n, weights, out);
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, out.length);
    }

    @Override
    public final void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        checkBlocks(n);
        byte[] in = new byte[byteCount(n)];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, in, 0, in.length);
        dequantizeBlocks(in, dst, dstOff, n);
    }

    /** Convenience for tests and callers holding bytes: quantizes into a new array. */
    public final byte[] quantizeToBytes(float[] src, int srcOff, int n, float[] weights) {
        byte[] out = new byte[byteCount(n)];
        quantize(src, srcOff, MemorySegment.ofArray(out), 0, n, weights);
        return out;
    }

    protected final int byteCount(int n) {
        return n / type.blockSize() * type.typeSize();
    }

    private void checkBlocks(int n) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type.ggmlName() + " works on whole blocks of " + type.blockSize()
                    + " values; got " + n);
        }
    }

    private void checkFinite(float[] a, int off, int n, String what) {
        checkFinite(type, a, off, n, what);
    }

    /**
     * Refuses NaN and Inf in {@code a[off..off+n)} with a {@link KilnException} naming {@code what} (the input row,
     * the importance weights): for codecs that are not block codecs but follow the same contract.
     */
    public static void checkFinite(GgmlType type, float[] a, int off, int n, String what) {
        for (int i = 0; i < n; i++) {
            float v = a[off + i];
            if (!Float.isFinite(v)) {
                throw new KilnException("cannot quantize to " + type.ggmlName() + ": the " + what + " holds "
                        + (Float.isNaN(v) ? "NaN" : "Inf") + " (at index " + i + "); NaN and Inf cannot be quantized");
            }
        }
    }

    // ------------------------------------------------------------------ little-endian helpers on byte[]

    public static float half(byte[] b, int off) {
        return Fp16.halfToFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8)));
    }

    public static void putHalf(byte[] b, int off, float f) {
        short h = Fp16.floatToHalf(f);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) | ((b[off + 1] & 0xFF) << 8);
    }

    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }

    public static int i32(byte[] b, int off) {
        return (b[off] & 0xFF) | ((b[off + 1] & 0xFF) << 8) | ((b[off + 2] & 0xFF) << 16) | (b[off + 3] << 24);
    }

    public static void put32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
        b[off + 2] = (byte) (v >> 16);
        b[off + 3] = (byte) (v >> 24);
    }

    /** Σx² over {@code x[off..off+n)} accumulated in float, in order (sigma2 in the weighted quantizers). */
    public static float sumSquares(float[] x, int off, int n) {
        float s = 0;
        for (int j = 0; j < n; ++j) s += x[off + j] * x[off + j];
        return s;
    }

    /** The first element of largest |x| (strict &gt;, so the first wins ties), as the signed value; 0 for none. */
    public static float signedAbsMax(float[] x, int off, int n) {
        float amax = 0, max = 0;
        for (int j = 0; j < n; ++j) {
            float ax = Math.abs(x[off + j]);
            if (ax > amax) { amax = ax; max = x[off + j]; }
        }
        return max;
    }
}
