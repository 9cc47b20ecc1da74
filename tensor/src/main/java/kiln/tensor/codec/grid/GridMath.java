package kiln.tensor.codec.grid;

import kiln.tensor.codec.QuantMath;

/**
 * The roundings of the grid quantizers in each tool's reference build (IQ3_XXS, IQ3_S, IQ1_S, IQ1_M directly; the
 * IQ2 quantizers through {@link Iq2Rounding}, which says per function which sites ik fuses). llama.cpp compiles {@code ggml-quants.c} in
 * ISO C mode without FMA: every product and sum is rounded on its own. ik_llama.cpp compiles it with
 * {@code -march=native} in GNU C mode, and gcc contracts each {@code a*b + c} of these quantizers into one fused
 * multiply-add (read from the disassembly of ik's {@code ggml-quants.c.o}: the weight {@code sigma2 + x*x}, the
 * level {@code 0.5f*(id*x - 1)} and its rounding add, the step {@code 15 + is*0.2f}, the distance
 * {@code scale*q - x} and the running sums {@code acc += (w*x)*q}; the Σx² of a super-block is not fused: its
 * products are taken in a vector and added in order). {@code fused} selects ik's rounding at each such site.
 */
final class GridMath {
    private GridMath() {}

    /** {@code a*b + c}: one rounding when fused, two otherwise. */
    static float mulAdd(boolean fused, float a, float b, float c) {
        return fused ? Math.fma(a, b, c) : a * b + c;
    }

    /**
     * {@code nearest_int(0.5f*(id*x - 1))}, the level l of a value on the odd grid 2l+1 ({@code 0.5f*} is exact, so
     * ik's second fusion, into nearest_int's rounding add, rounds as the plain sum does).
     */
    static int nearestOddLevel(boolean fused, float id, float x) {
        return QuantMath.nearestInt(0.5f * mulAdd(fused, id, x, -1f));
    }

    /** The importance of one value: {@code qw * sqrtf(sigma2 + x*x)} with an imatrix, {@code x*x} without. */
    static float importance(boolean fused, float[] quantWeights, int wIndex, float sigma2, float x) {
        if (quantWeights == null) return x * x;
        return quantWeights[wIndex] * (float) Math.sqrt(mulAdd(fused, x, x, sigma2));
    }

    /** C's {@code MAX(a, b)}: {@code a > b ? a : b} (b on ties, so the sign of a zero follows C). */
    static float cMax(float a, float b) {
        return a > b ? a : b;
    }

    /** C++'s {@code std::max(a, b)}: {@code a < b ? b : a} (a on ties). */
    static float stdMax(float a, float b) {
        return a < b ? b : a;
    }

    /**
     * {@code nearest_int(a*b)} with the product fused into nearest_int's 1.5·2^23 rounding add, as ik's build
     * compiles it: a*b rounded once, to the nearest integer (ties to even).
     */
    static int nearestIntFused(float a, float b) {
        return (Float.floatToRawIntBits(Math.fma(a, b, 12582912.f)) & 0x007fffff) - 0x00400000;
    }

    /** {@code 2*Σx²/QK_K} over one super-block of 256 values, the sum rounded in order. */
    static float sigma2(float[] x, int off) {
        float sumx2 = 0;
        for (int i = 0; i < 256; ++i) sumx2 += x[off + i] * x[off + i];
        return 2 * sumx2 / 256;
    }
}
