package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;

/**
 * Base of the trellis types (IQ1_KT, IQ2_KT, IQ3_KT, IQ4_KT): a row is one f32 scale {@code d}, then blocks of 256
 * values whose groups are {@link Trellis} indices. ik's {@code dequantize_row_iq*_kt} multiply {@code d} by the
 * quantizer's {@code kScale}, which is 1 for these integer trellises, so {@code d} is used as stored (a codec made for
 * {@link IkKernelCodecs} multiplies it by ik's kernel factor first). Subclasses decode one block.
 */
abstract class TrellisCodec extends IkBlockCodec {
    private final float rowScaleFactor;

    /**
     * @param rowScaleFactor 1 for ik's {@code dequantize_row_iq*_kt}; the factor ik's matrix multiplication applies to
     *                       the row scale for {@link IkKernelCodecs}
     */
    TrellisCodec(GgmlType type, float rowScaleFactor) {
        super(type);
        this.rowScaleFactor = rowScaleFactor;
    }

    /** {@code n} is one row; the row scale goes to {@code out[0..4)} (the quantizers ignore the kernel factor). */
    @Override
    abstract void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out);

    /** One block ({@code block[0..typeSize)}) with the row scale {@code d} into {@code y[yOff..yOff+256)}. */
    abstract void dequantizeBlock(byte[] block, float d, float[] y, int yOff);

    /** {@code n} is one row: the f32 row scale, then {@code n/256} blocks. */
    @Override
    public final void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException(type().ggmlName() + " works on whole rows of blocks of 256 values; got " + n);
        }
        float d = src.get(ValueLayout.JAVA_FLOAT_UNALIGNED, srcOffset) * rowScaleFactor; // × 1 is exact
        int size = type().typeSize();
        byte[] block = new byte[size];
        long first = srcOffset + type().rowMetaBytes();
        for (int ibl = 0; ibl < n / QK_K; ++ibl) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, first + (long) ibl * size, block, 0, size);
            dequantizeBlock(block, d, y, yOff + ibl * QK_K);
        }
    }
}
