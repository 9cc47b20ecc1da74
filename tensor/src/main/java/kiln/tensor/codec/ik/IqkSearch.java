package kiln.tensor.codec.ik;

import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * The scale search the IQ3_K … IQ6_K quantizers share ({@code quantize_row_iq*_k_impl}, {@code iqk_quantize.cpp}),
 * with the type's parameters, as ik's type_traits give each type its own numbers over one algorithm. For a block of
 * 16 it tries the scales {@code (step·itry + values[0]) / max} for {@code itry = -ntry … ntry} on the plain and the
 * shifted table, each with the levels nearest to {@code +id·x} and to {@code -id·x}, and keeps the scale of largest
 * {@code (Σw·q·x)² / Σw·q²}; optionally it refits the scale to the levels the winner picks. Roundings as ik's build
 * computes them (see {@link FusedMath}): the sums are fused {@code (w·q)·x + s}.
 *
 * @param blockSize     values per block: 16 (IQ*_K) or 32 (IQ*_KS)
 *
 * @param guardFirst    whether the first estimate checks {@code Σw·q² > 0} (IQ3_K) or divides regardless
 * @param refit         whether the chosen scale is refitted to its levels (IQ3_K, IQ5_K, IQ6_K; not IQ4_K)
 * @param squareWeights whether the weights without an imatrix are {@code x²} (IQ4_K) rather than {@code σ²/4 + x²}
 * @param zeroUnshifted whether a block whose scale comes out 0 keeps the plain table (IQ3_K)
 */
record IqkSearch(IqkLevels levels, int blockSize, int ntry, int step, boolean guardFirst, boolean refit,
                 boolean squareWeights, boolean zeroUnshifted) {

    /** A row's scratch: block scales and weights, the search's sums and outcome, the super-block's extra bits. */
    static final class Scratch {
        /** The most tries a table's sums hold (2·ntry + 2 ≤ 32), the stride of {@code sums0} / {@code sums1}. */
        static final int TRIES = 32;
        final float[] scales = new float[16], weight = new float[32];
        /** The scales tried on the plain table (the first estimate, then itry = -ntry … ntry) and the shifted one. */
        final float[] ids0 = new float[TRIES], ids1 = new float[TRIES];
        /** Their sums, four rows of {@code TRIES} (see {@link #sums}). */
        final float[] sums0 = new float[4 * TRIES], sums1 = new float[4 * TRIES];
        final Fit fit = new Fit();
        int extra;
        /** The block scale of largest magnitude (the first such); 0 when every block is ~zero. */
        float maxScale;
    }

    /**
     * The first pass over the super-block {@code x[xb..xb+256)} (weights from {@code qw[qo..]} or null): each block's
     * scale into {@code sc.scales}, its table into {@code sc.extra}, the largest scale into {@code sc.maxScale}.
     */
    void searchBlocks(float[] x, int xb, float[] qw, int qo, float sigma2, Scratch sc) {
        float maxScale = 0, maxAbsScale = 0;
        int extra = 0;
        for (int ib = 0; ib < 256 / blockSize; ++ib) {
            int xo = xb + blockSize * ib;
            blockWeights(x, xo, qw, qo + blockSize * ib, sigma2, sc.weight);
            float max = signedMax(x, xo, blockSize);
            if (Math.abs(max) < 1e-16f) {
                sc.scales[ib] = 0;
                continue;
            }
            search(x, xo, sc.weight, max, sc.fit, sc);
            float d = sc.fit.d;
            sc.scales[ib] = d;
            if (sc.fit.shifted && !(zeroUnshifted && d == 0)) extra |= 1 << ib;
            if (Math.abs(d) > maxAbsScale) { maxAbsScale = Math.abs(d); maxScale = d; }
        }
        sc.extra = extra;
        sc.maxScale = maxScale;
    }

    /** A block's weights for this type (see {@link #weights}; {@code x²} without an imatrix for IQ4_K). */
    void blockWeights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] w) {
        if (qw == null && squareWeights) {
            for (int j = 0; j < blockSize; ++j) w[j] = x[xo + j] * x[xo + j];
        } else if (qw != null) {
            imatrixWeights(qw, qo, x, xo, sigma2, w, blockSize);
        } else {
            weights(x, xo, null, qo, sigma2, w);
        }
    }

    /** A block's outcome: its scale and whether it uses the shifted table. */
    static final class Fit {
        float d;
        boolean shifted;
    }

    /**
     * Searches the scale of the block {@code x[xo..xo+blockSize)} with weights {@code w}; {@code max} is the
     * value of largest magnitude (non-zero). The sums of every try are computed first ({@link IqkTrySums#CHOSEN}:
     * vector lanes when the module is there), then weighed in ik's order: the first estimate, then for each itry the
     * plain and the shifted table.
     */
    void search(float[] x, int xo, float[] w, float max, Fit fit, Scratch sc) {
        final int tries = 2 * ntry + 1, S = Scratch.TRIES;
        final float[] ids0 = sc.ids0, ids1 = sc.ids1, s0 = sc.sums0, s1 = sc.sums1;
        float d = -max / levels.value(0, 0);
        ids0[0] = 1 / d;
        for (int i = 0; i < tries; ++i) {
            int itry = i - ntry;
            ids0[1 + i] = (step * itry + levels.value(0, 0)) / max;
            ids1[i] = (step * itry + levels.value(1, 0)) / max;
        }
        IqkTrySums.CHOSEN.sums(this, 0, x, xo, w, ids0, tries + 1, max, s0);
        IqkTrySums.CHOSEN.sums(this, 1, x, xo, w, ids1, tries, max, s1);
        float best = 0;
        if (!guardFirst || s0[S] > 0) {
            d = s0[0] / s0[S];
            best = d * s0[0];
        }
        if (s0[3 * S] > 0 && s0[2 * S] * s0[2 * S] > best * s0[3 * S]) {
            d = s0[2 * S] / s0[3 * S];
            best = d * s0[2 * S];
        }
        boolean shifted = false;
        for (int i = 0; i < tries; ++i) {
            for (int table = 0; table <= 1; ++table) {
                float[] s = table == 0 ? s0 : s1;
                int m = table == 0 ? i + 1 : i;
                float qxP = s[m], q2P = s[S + m], qxM = s[2 * S + m], q2M = s[3 * S + m];
                if (q2P > 0 && qxP * qxP > best * q2P) {
                    d = qxP / q2P; best = d * qxP; shifted = table == 1;
                }
                if (q2M > 0 && qxM * qxM > best * q2M) {
                    d = qxM / q2M; best = d * qxM; shifted = table == 1;
                }
            }
        }
        if (refit && d != 0) {
            int table = shifted ? 1 : 0;
            float sumqx = 0, sumq2 = 0;
            float id = 1 / d;
            for (int j = 0; j < blockSize; ++j) {
                float q = levels.value(table, levels.bestIndex(table, id * x[xo + j]));
                float wq = w[j] * q;
                sumqx = Math.fma(wq, x[xo + j], sumqx);
                sumq2 = Math.fma(q, wq, sumq2);
            }
            if (sumq2 > 0) d = sumqx / sumq2;
        }
        fit.d = d;
        fit.shifted = shifted;
    }

    /**
     * Σw·q·x and Σw·q² for the levels nearest to ±id·x, as ik sums them (fused, in j order), into
     * {@code out[m]} (plus qx), {@code out[S+m]} (plus q2), {@code out[2S+m]} (minus qx), {@code out[3S+m]} (minus q2)
     * with {@code S = Scratch.TRIES}: the scalar loop, the oracle of {@link IqkTrySumsVector}.
     */
    void sums(float[] x, int xo, float[] w, int table, float id, float[] out, int m) {
        float qxP = 0, q2P = 0, qxM = 0, q2M = 0;
        for (int j = 0; j < blockSize; ++j) {
            float wj = w[j], xj = x[xo + j];
            float al = id * xj;
            float q = levels.value(table, levels.bestIndex(table, al));
            float wq = wj * q;
            qxP = Math.fma(wq, xj, qxP);
            q2P = Math.fma(wq, q, q2P);
            q = levels.value(table, levels.bestIndex(table, -al));
            wq = wj * q;
            qxM = Math.fma(wq, xj, qxM);
            q2M = Math.fma(wq, q, q2M);
        }
        final int S = Scratch.TRIES;
        out[m] = qxP;
        out[S + m] = q2P;
        out[2 * S + m] = qxM;
        out[3 * S + m] = q2M;
    }

    /**
     * A block's weights as IQ2_K, IQ3_K, IQ5_K and IQ6_K take them: with an imatrix {@code qw·sqrt(σ² + x²)}, else
     * {@code σ²/4 + x²} (ik's build fuses this in some loops and not in others; σ²/4 is exact, so both round alike).
     */
    static void weights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] w) {
        if (qw != null) {
            imatrixWeights(qw, qo, x, xo, sigma2, w, 16);
        } else {
            float s4 = 0.25f * sigma2;
            for (int j = 0; j < 16; ++j) w[j] = s4 + x[xo + j] * x[xo + j];
        }
    }

    /** Weights with an imatrix: {@code qw·sqrt(σ² + x²)}, the sum fused. */
    static void imatrixWeights(float[] qw, int qo, float[] x, int xo, float sigma2, float[] w, int n) {
        for (int j = 0; j < n; ++j) w[j] = qw[qo + j] * sqrtf(Math.fma(x[xo + j], x[xo + j], sigma2));
    }

    /**
     * ik's {@code QHelper::row_weights}: the row's importance weights, with every block of {@code blockSize} whose
     * Σw², Σx² or Σw·|x| is not above blockSize·1e-18 set to 1e-9.
     */
    static float[] rowWeights(float[] x, int xOff, int n, float[] qw, int blockSize) {
        final float eps = 1e-9f, limit = blockSize * (eps * eps);
        float[] w = new float[n];
        for (int ib = 0; ib < n / blockSize; ++ib) {
            float sumw2 = 0, sumx2 = 0, sumwx = 0;
            for (int j = 0; j < blockSize; ++j) {
                float wj = qw[blockSize * ib + j], xj = x[xOff + blockSize * ib + j];
                w[blockSize * ib + j] = wj;
                sumw2 += wj * wj;
                sumx2 += xj * xj;
                sumwx += wj * Math.abs(xj);
            }
            if (sumw2 > limit && sumx2 > limit && sumwx > limit) continue;
            for (int j = 0; j < blockSize; ++j) w[blockSize * ib + j] = eps;
        }
        return w;
    }

    /** The first element of largest |x| among n (strict &gt;, so the first wins ties), as the signed value. */
    static float signedMax(float[] x, int xo, int n) {
        float amax = 0, max = 0;
        for (int j = 0; j < n; ++j) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) { amax = ax; max = x[xo + j]; }
        }
        return max;
    }

    /** Σx² over a super-block of 256, in order and not fused (ik's loop is vectorized). */
    static float sumSquares(float[] x, int xo) {
        float s = 0;
        for (int j = 0; j < 256; ++j) s += x[xo + j] * x[xo + j];
        return s;
    }
}
