package kiln.tensor;

/**
 * Half and bfloat16 conversions exactly as ggml performs them (spec gguf-and-quants.md §3.0).
 * FP32→FP16 is ggml's software routine (round-to-nearest-even, NaN → 0x7E00 with sign), not F16C.
 */
public final class Fp16 {
    private Fp16() {}

    /** Exact IEEE binary16 → binary32. */
    public static float halfToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    /** ggml_compute_fp32_to_fp16: the software routine of ggml-impl.h, bit for bit. */
    public static short floatToHalf(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1w = w + w;
        int sign = w & 0x80000000;
        int bias = shl1w & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantBits = bits & 0x00000FFF;
        int nonsign = expBits + mantBits;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1w, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }

    /** ggml_compute_fp32_to_bf16: round-to-nearest-even, NaN quietened with 0x40. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((u >>> 16) | 0x40);
        }
        return (short) ((u + (0x7FFF + ((u >>> 16) & 1))) >>> 16);
    }

    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }
}
