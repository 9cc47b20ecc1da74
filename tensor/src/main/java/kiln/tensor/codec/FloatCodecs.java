package kiln.tensor.codec;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.Le;

import java.lang.foreign.MemorySegment;

/** F32, F16 and BF16 rows (ggml_fp32_to_fp16_row, ggml_fp32_to_bf16_row_ref, memcpy). */
final class FloatCodecs {
    private FloatCodecs() {}

    static final RowCodec F32 = new RowCodec() {
        public GgmlType type() { return GgmlType.F32; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) dst[dstOff + i] = Le.f32(src, off + 4L * i);
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            for (int i = 0; i < n; i++) Le.putF32(dst, off + 4L * i, src[srcOff + i]);
        }
        public boolean canQuantize() { return true; }
    };

    static final RowCodec F16 = new RowCodec() {
        public GgmlType type() { return GgmlType.F16; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) dst[dstOff + i] = Le.f16(src, off + 2L * i);
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            for (int i = 0; i < n; i++) Le.put16(dst, off + 2L * i, Fp16.floatToHalf(src[srcOff + i]));
        }
        public boolean canQuantize() { return true; }
    };

    static final RowCodec BF16 = new RowCodec() {
        public GgmlType type() { return GgmlType.BF16; }
        public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) dst[dstOff + i] = Fp16.bf16ToFloat(Le.i16(src, off + 2L * i));
        }
        public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] w) {
            for (int i = 0; i < n; i++) Le.put16(dst, off + 2L * i, Fp16.floatToBf16(src[srcOff + i]));
        }
        public boolean canQuantize() { return true; }
    };
}
