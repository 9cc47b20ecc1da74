package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;

/**
 * ggml's CPU dot products of quantized weights do not see f32 activations: each activation row is first
 * quantized to the weight type's "vec_dot_type" (Q8_0 for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_K for the k-quants and
 * IQ4_XS, BF16 for BF16 and F16 for F16 weights). Kiln reproduces that rounding (quantize, then dequantize the row once per matmul) so quantized files
 * give the reference tools' results, not merely close ones. Interleaved types use their base type's rule.
 */
final class ActivationQuant {
    private ActivationQuant() {}

    /** The activation type for weights of this type, or null when activations stay f32. */
    static GgmlType typeFor(GgmlType weight) {
        GgmlType base = weight.base() != null ? weight.base() : weight;
        return switch (base) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> GgmlType.Q8_0;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> GgmlType.Q8_K;
            case BF16 -> GgmlType.BF16;
            case F16 -> GgmlType.F16;
            default -> null;
        };
    }

    /** The codec of the activation type for weights of this type, or null when activations stay f32. */
    static RowCodec forWeight(GgmlType weight) {
        GgmlType base = weight.base() != null ? weight.base() : weight;
        GgmlType act = switch (base) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> GgmlType.Q8_0;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> GgmlType.Q8_K;
            case BF16 -> GgmlType.BF16;
            case F16 -> GgmlType.F16;
            default -> null;
        };
        if (act == null) return null;
        RowCodec c = Codecs.find(act);
        return c != null && c.canQuantize() ? c : null;
    }

    /** Rounds n values of x (from xOff) through codec into dst[dstOff..], using scratch bytes. */
    static void round(RowCodec codec, float[] x, int xOff, int n, MemorySegment scratch, float[] dst, int dstOff) {
        codec.quantize(x, xOff, scratch, 0, n, null);
        codec.dequantize(scratch, 0, dst, dstOff, n);
    }
}
