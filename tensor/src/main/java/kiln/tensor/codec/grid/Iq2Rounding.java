package kiln.tensor.codec.grid;

/**
 * The roundings of one build of one IQ2 quantizer. llama.cpp's reference build rounds every operation
 * ({@link #MAINLINE}); ik_llama.cpp's compiles ggml-quants.c with {@code -march=native} in GNU C mode, so gcc
 * contracts {@code a*b + c} into a fused multiply-add wherever the product has no other use — which differs a little
 * between the three functions (read from the disassembly of ik's {@code quantize_row_iq2_*_impl}):
 * <ul>
 * <li>everywhere in ik: the importance weight {@code qw * sqrtf(fma(x, x, sigma2))}, the trial scales
 *     {@code fma(is, 0.1f, 5)}, the levels {@code nearest_int(0.5f*(id*x - 1))} as {@code fma(fma(id, x, -1), 0.5f,
 *     1.5·2^23)}, and the sums {@code fma(w*x, q, sumqx)}, {@code fma(w*q, q, sumq2)};</li>
 * <li>the weight without an imatrix, {@code 0.25f*sigma2 + x*x}, is fused in IQ2_XXS only (IQ2_XS and IQ2_S use
 *     {@code x*x} twice, once in a scalar and once in a vector copy, so it stays a product);</li>
 * <li>in IQ2_S's scale trials the first 8 values' {@code id*x} products are shared the same way, so their level is
 *     {@code nearest_int(0.5f*((id*x) - 1))} with only the outer multiply-add fused.</li>
 * </ul>
 * The shared formulas are {@link GridMath}'s (the IQ3 and IQ1 quantizers use them too); this class holds which of them
 * each IQ2 build fuses.
 */
final class Iq2Rounding {

    /** llama.cpp: no fused operation. */
    static final Iq2Rounding MAINLINE = new Iq2Rounding(false, false, true);
    /** ik's {@code quantize_row_iq2_xxs_impl}. */
    static final Iq2Rounding IK_XXS = new Iq2Rounding(true, true, true);
    /** ik's {@code quantize_row_iq2_xs_impl}. */
    static final Iq2Rounding IK_XS = new Iq2Rounding(true, false, true);
    /** ik's {@code quantize_row_iq2_s_impl}. */
    static final Iq2Rounding IK_S = new Iq2Rounding(true, false, false);

    private final boolean fused;
    private final boolean fusedDefaultWeight;
    private final boolean fusedFirstGroupTrialLevels;

    private Iq2Rounding(boolean fused, boolean fusedDefaultWeight, boolean fusedFirstGroupTrialLevels) {
        this.fused = fused;
        this.fusedDefaultWeight = fusedDefaultWeight;
        this.fusedFirstGroupTrialLevels = fusedFirstGroupTrialLevels;
    }

    boolean fused() {
        return fused;
    }

    /** {@code qw * sqrtf(sigma2 + x*x)}. */
    float importanceWeight(float qw, float sigma2, float x) {
        return qw * (float) Math.sqrt(GridMath.mulAdd(fused, x, x, sigma2));
    }

    /** {@code 0.25f*sigma2 + x*x}, the weight without an imatrix (IQ2_S; ik's IQ2_XXS and IQ2_XS too). */
    float defaultWeight(float sigma2, float x) {
        float quarter = 0.25f * sigma2;
        return fused && fusedDefaultWeight ? Math.fma(x, x, quarter) : quarter + x * x;
    }

    /** {@code (2*kMaxQ - 1 + is*0.1f) / reference} with kMaxQ = 3. */
    float trialInverseScale(int is, float reference) {
        return GridMath.mulAdd(fused, is, 0.1f, 5.0f) / reference;
    }

    /** {@code nearest_int(0.5f*(id*x - 1))}: the level (before clamping) of x at inverse scale id. */
    int level(float id, float x) {
        return GridMath.nearestOddLevel(fused, id, x);
    }

    /** {@link #level} inside a scale trial, for the value's group of 8 (k). */
    int trialLevel(float id, float x, int group) {
        if (fused && group == 0 && !fusedFirstGroupTrialLevels) return GridMath.nearestOddLevel(false, id, x); // outer fma rounds alike
        return level(id, x);
    }

    /** {@code sumqx + w*x*q}. */
    float addQx(float sumqx, float w, float x, float q) {
        return GridMath.mulAdd(fused, w * x, q, sumqx);
    }

    /** {@code sumq2 + w*q*q}. */
    float addQ2(float sumq2, float w, float q) {
        return GridMath.mulAdd(fused, w * q, q, sumq2);
    }
}
