package kiln.tensor.codec;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.LittleEndian;

import java.lang.foreign.MemorySegment;

/**
 * F32, F16 and BF16 rows (ggml_fp32_to_fp16_row, ggml_fp32_to_bf16_row_ref, memcpy). Values are converted in a
 * per-thread short[] staging buffer and moved with bulk {@link MemorySegment#copy} calls, which is several times
 * faster than element-wise segment access on the conversion hot path.
 */
final class FloatCodecs {
    private FloatCodecs() {}

    private static final int STAGE = 1 << 14;
    private static final ThreadLocal<short[]> STAGING = ThreadLocal.withInitial(() -> new short[STAGE]);

    /** Converts one float to the 16-bit pattern of a type. */
    private interface ToBits {
        short apply(float f);
    }

    /** Converts a 16-bit pattern to float. */
    private interface FromBits {
        float apply(short s);
    }

    private static void write16(float[] src, int srcOff, MemorySegment dst, long off, int n, ToBits conv) {
        short[] s = STAGING.get();
        for (int done = 0; done < n; done += STAGE) {
            int k = Math.min(STAGE, n - done);
            for (int i = 0; i < k; i++) s[i] = conv.apply(src[srcOff + done + i]);
            MemorySegment.copy(s, 0, dst, LittleEndian.SHORT, off + 2L * done, k);
        }
    }

    private static void read16(MemorySegment src, long off, float[] dst, int dstOff, int n, FromBits conv) {
        short[] s = STAGING.get();
        for (int done = 0; done < n; done += STAGE) {
            int k = Math.min(STAGE, n - done);
            MemorySegment.copy(src, LittleEndian.SHORT, off + 2L * done, s, 0, k);
            for (int i = 0; i < k; i++) dst[dstOff + done + i] = conv.apply(s[i]);
        }
    }

    /**
     * {@link #read16} with {@link Fp16#bf16ToFloat} written out: the widening is a shift, and a loop of its own keeps
     * it free of the call through {@link FromBits} that F16's reading makes megamorphic (bf16 is what quantize reads).
     */
    private static void readBf16(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        short[] s = STAGING.get();
        for (int done = 0; done < n; done += STAGE) {
            int k = Math.min(STAGE, n - done);
            MemorySegment.copy(src, LittleEndian.SHORT, off + 2L * done, s, 0, k);
            for (int i = 0; i < k; i++) dst[dstOff + done + i] = Float.intBitsToFloat(s[i] << 16);
        }
    }

    static final RowCodec F32 = new RowCodec() {
        public GgmlType type() { return GgmlType.F32; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            MemorySegment.copy(src, LittleEndian.FLOAT, off, dst, dstOff, n);
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            MemorySegment.copy(src, srcOff, dst, LittleEndian.FLOAT, off, n);
        }
        public boolean canQuantize() { return true; }
    };

    static final RowCodec F16 = new RowCodec() {
        public GgmlType type() { return GgmlType.F16; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            read16(src, off, dst, dstOff, n, Float::float16ToFloat);
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            write16(src, srcOff, dst, off, n, Fp16::floatToHalf);
        }
        public boolean canQuantize() { return true; }
    };

    static final RowCodec BF16 = new RowCodec() {
        public GgmlType type() { return GgmlType.BF16; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            readBf16(src, off, dst, dstOff, n);
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            write16(src, srcOff, dst, off, n, Fp16::floatToBf16);
        }
        public boolean canQuantize() { return true; }
    };
}
