package kiln.tensor.codec.ik;

/**
 * The arithmetic of ik's reference build. ik compiles {@code ggml-quants.c} with {@code -march=native} in GNU C mode,
 * so gcc contracts {@code a*b + c} into one fused multiply-add ({@code -ffp-contract=fast}); which expressions it
 * fuses depends on how each loop was compiled (a vectorized reduction is not fused; a lone {@code acc += a*b} chain
 * in a scalar loop is not fused on the znver tuning; most other {@code a*b ± c} are). Every quantizer in this
 * package spells out, expression by expression, the rounding the reference binary performs; {@link Math#fma}
 * marks a fused operation, everything else is plain IEEE float/double arithmetic in C's evaluation order.
 */
final class FusedMath {
    private FusedMath() {}

    /** {@code nearest_int(a*b)} with the product fused into the 1.5·2^23 rounding add. */
    static int nearestIntFma(float a, float b) {
        float val = Math.fma(a, b, 12582912.f);
        return (Float.floatToRawIntBits(val) & 0x007fffff) - 0x00400000;
    }

    /** C's {@code sqrtf}. */
    static float sqrtf(float v) {
        return (float) Math.sqrt(v);
    }
}
