package kiln.tensor.codec.grid;

import kiln.tensor.codec.BlockCodec;

/**
 * The importance weights of ik's four-row IQ1 quantizers ({@code quantize_iq1_s_r4}, {@code quantize_iq1_m_r4} in
 * {@code iqk_quantize.cpp}), per block of 32 values with {@code sigma2 = 1.5·Σx²/32}: {@code imatrix[j]·sqrtf(sigma2 +
 * x²)}, or {@code sqrtf(sigma2 + x²)} without an imatrix and where the imatrix's weights vanish wherever x does not.
 * Roundings as ik's {@code -march=native} build computes them (read from the disassembly of its
 * {@code iqk_quantize.cpp.o}): the Σx² products rounded and added in order, {@code sigma2 + x*x} fused,
 * {@code sqrtf} in float, the tests {@code Σ w·|x|} running fused sums.
 */
final class Iq1R4Weights {
    private Iq1R4Weights() {}

    /** Σx² of {@code x[off..off+n)}: products rounded, added in order. */
    static float sumSquares(float[] x, int off, int n) {
        return BlockCodec.sumSquares(x, off, n);
    }

    /** {@code 1.5f*sumx2/32}, the block's sigma2. */
    static float sigma2(float sumx2) {
        return 1.5f * sumx2 / 32;
    }

    /** {@code weight[j] = sqrtf(sigma2 + x[xb+j]²)} for j in [from, to). */
    static void plain(float[] x, int xb, float sigma2, float[] weight, int from, int to) {
        for (int j = from; j < to; ++j) weight[j] = (float) Math.sqrt(Math.fma(x[xb + j], x[xb + j], sigma2));
    }

    /** {@code weight[j] = imatrix[wOff+j]·sqrtf(sigma2 + x[xb+j]²)} for j in [0, 32). */
    static void imatrix(float[] x, int xb, float sigma2, float[] imatrix, int wOff, float[] weight) {
        for (int j = 0; j < 32; ++j) {
            weight[j] = imatrix[wOff + j] * (float) Math.sqrt(Math.fma(x[xb + j], x[xb + j], sigma2));
        }
    }

    /** {@code Σ weight[j]·|x[xb+j]|} over j in [from, to), a fused running sum. */
    static float sumWeightedAbs(float[] x, int xb, float[] weight, int from, int to) {
        float s = 0;
        for (int j = from; j < to; ++j) s = Math.fma(weight[j], Math.abs(x[xb + j]), s);
        return s;
    }
}
