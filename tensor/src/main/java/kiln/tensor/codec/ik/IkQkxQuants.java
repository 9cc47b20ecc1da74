package kiln.tensor.codec.ik;

import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * ik's {@code make_qkx2_quants}, {@code make_qkx3_quants} and {@code make_qp_quants} (ggml-quants.c) with the
 * roundings of its reference build (see {@link FusedMath}). Level arrays are {@code byte[]} read with {@code & 0xFF}
 * (C's {@code uint8_t}).
 */
public final class IkQkxQuants {
    private IkQkxQuants() {}

    /**
     * {@code make_qkx2_quants(n, nmax, x, weights, L, &min, Laux, rmin, rdelta, nstep, use_mad)} as inlined into
     * {@code quantize_row_q4_K_ref} / {@code quantize_row_q5_K_ref} (n = 32, use_mad false: a loop, so the lone
     * {@code sum_x} chain is not fused) and {@code quantize_row_q2_K_ref} (n = 16, use_mad true: unrolled, so
     * {@code sum_x} is fused). Returns the scale; {@code theMin[mi]} = −min.
     */
    static float makeQkx2(int n, int nmax, float[] x, int xo, float[] w, byte[] L, int lo, float[] theMin, int mi,
                          byte[] lAux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            sumW += w[i];
            sumX = useMad ? Math.fma(w[i], xi, sumX) : sumX + w[i] * xi;
        }
        if (min > 0) min = 0;
        if (max - min < 1e-10f) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            theMin[mi] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; ++i) {
            int l = clamp(nearestIntFma(iscale, x[xo + i] - min), nmax);
            L[lo + i] = (byte) l;
            float diff = Math.fma(scale, (float) l, min) - x[xo + i];
            bestMad = Math.fma(useMad ? Math.abs(diff) : diff * diff, w[i], bestMad);
        }
        if (nstep < 1) {
            theMin[mi] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (Math.fma((float) is, rdelta, rmin) + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i) {
                int l = clamp(nearestIntFma(iscale, x[xo + i] - min), nmax);
                lAux[i] = (byte) l;
                float fl = l;
                float wl = w[i] * fl;
                sumL += wl;
                sumL2 = Math.fma(fl, wl, sumL2);
                sumXl = Math.fma(x[xo + i], wl, sumXl);
            }
            float d = Math.fma(sumL2, sumW, -(sumL * sumL));
            if (d > 0) {
                float thisMin = Math.fma(sumL2, sumX, -(sumL * sumXl)) / d;
                float thisScale;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                } else {
                    thisScale = Math.fma(-sumL, sumX, sumXl * sumW) / d;
                }
                float mad = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = Math.fma((float) (lAux[i] & 0xFF), thisScale, thisMin) - x[xo + i];
                    mad = Math.fma(useMad ? Math.abs(diff) : diff * diff, w[i], mad);
                }
                if (mad < bestMad) {
                    System.arraycopy(lAux, 0, L, lo, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[mi] = -min;
        return scale;
    }

    /**
     * {@code make_qkx3_quants(n, nmax, x, weights, L, &min, Laux, rmin, rdelta, nstep, false)} (weights always
     * given; double accumulators): the out-of-line clone for n = 32 (Q4_K, Q5_K, Q4_1, Q5_1) and the copy inlined
     * and unrolled into {@code quantize_row_q2_K_impl} for n = 16, which alone fuses the {@code sum_x2} sum.
     */
    static float makeQkx3(int n, int nmax, float[] x, int xo, float[] w, int wo, byte[] L, int lo, float[] theMin,
                          int mi, byte[] lAux, float rmin, float rdelta, int nstep) {
        boolean fuseSumX2 = n == 16;
        float min = x[xo], max = x[xo];
        double sumW = w[wo];
        double sumX = sumW * (double) x[xo];
        double sumX2 = sumX * (double) x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            double wi = w[wo + i];
            sumW += wi;
            double wx = wi * (double) xi;
            sumX += wx;
            sumX2 = fuseSumX2 ? Math.fma(wx, (double) xi, sumX2) : sumX2 + wx * (double) xi;
        }
        if (min > 0) min = 0;
        if (max - min < 1e-10f) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            theMin[mi] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        double bestMad = 0;
        for (int i = 0; i < n; ++i) {
            int l = clamp(nearestIntFma(iscale, x[xo + i] - min), nmax);
            L[lo + i] = (byte) l;
            double diff = Math.fma((double) l, (double) scale, (double) min) - (double) x[xo + i];
            bestMad = Math.fma(diff * diff, (double) w[wo + i], bestMad);
        }
        if (nstep < 1) {
            theMin[mi] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = ((float) nmax + Math.fma((float) is, rdelta, rmin)) / (max - min);
            double sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i) {
                int l = clamp(nearestIntFma(iscale, x[xo + i] - min), nmax);
                lAux[i] = (byte) l;
                double dl = l;
                double wl = (double) w[wo + i] * dl;
                sumL = sumL + wl;
                sumL2 = Math.fma(dl, wl, sumL2);
                sumXl = Math.fma(wl, (double) x[xo + i], sumXl);
            }
            double d = Math.fma(sumL2, sumW, -(sumL * sumL));
            if (d > 0) {
                double thisMin = Math.fma(sumL2, sumX, -(sumL * sumXl)) / d;
                double thisScale;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                } else {
                    thisScale = Math.fma(-sumL, sumX, sumXl * sumW) / d;
                }
                double mad = score(thisScale, thisMin, sumX2, sumXl, sumX, sumL, sumL2, sumW, true);
                if (mad < bestMad) {
                    System.arraycopy(lAux, 0, L, lo, n);
                    bestMad = mad;
                    scale = (float) thisScale;
                    min = (float) thisMin;
                }
            }
        }
        double sumL = 0, sumL2 = 0, sumXl = 0;
        for (int i = 0; i < n; ++i) {
            double dl = L[lo + i] & 0xFF;
            double wl = (double) w[wo + i] * dl;
            sumL = wl + sumL;
            sumL2 = Math.fma(dl, wl, sumL2);
            sumXl = Math.fma(wl, (double) x[xo + i], sumXl);
        }
        double best = score(scale, min, 0, sumXl, sumX, sumL, sumL2, sumW, false);
        int lastJ = -1, lastDir = 0;
        for (int itry = 0; itry < nmax * n; ++itry) {
            float gmax = 0;
            int bestJ = -1, dir = 0;
            for (int j = 0; j < n; ++j) {
                int lj = L[lo + j] & 0xFF;
                float g = Math.fma(-(float) lj, scale, x[xo + j]) - min;
                if (g > 0 && lj < nmax && g > gmax) {
                    gmax = g; bestJ = j; dir = 1;
                } else if (g < 0 && lj > 0 && -g > gmax) {
                    gmax = -g; bestJ = j; dir = -1;
                }
            }
            if (bestJ < 0 || (bestJ == lastJ && dir == -lastDir)) break;
            double wj = w[wo + bestJ];
            int lj = L[lo + bestJ] & 0xFF;
            sumL = Math.fma(wj, (double) dir, sumL);
            sumL2 = Math.fma(wj, (double) (2 * lj * dir + 1), sumL2);
            sumXl = Math.fma((double) dir, wj * (double) x[xo + bestJ], sumXl);
            double d = Math.fma(sumL2, sumW, -(sumL * sumL));
            if (d <= 0) break;
            double thisMin = Math.fma(sumL2, sumX, -(sumL * sumXl)) / d;
            double thisScale;
            if (thisMin > 0) {
                thisMin = 0;
                thisScale = sumXl / sumL2;
            } else {
                thisScale = Math.fma(-sumL, sumX, sumXl * sumW) / d;
            }
            if (thisScale < 0) break;
            double sc = score(thisScale, thisMin, 0, sumXl, sumX, sumL, sumL2, sumW, false);
            if (sc <= best) break;
            best = sc;
            scale = (float) thisScale;
            min = (float) thisMin;
            L[lo + bestJ] = (byte) (lj + dir);
            lastJ = bestJ;
            lastDir = dir;
        }
        theMin[mi] = -min;
        return scale;
    }

    /**
     * The quadratic error ({@code mad}, when {@code asError}) or the gain ({@code best}/{@code score}) of make_qkx3,
     * in the fused order of the reference build.
     */
    private static double score(double s, double m, double sumX2, double sumXl, double sumX, double sumL,
                                double sumL2, double sumW, boolean asError) {
        double s2 = s * 2.0;
        if (asError) {
            // sum_x2 - 2*s*sum_xl - 2*m*sum_x + 2*s*m*sum_l + s*s*sum_l2 + m*m*sum_w
            double t = Math.fma(-sumXl, s2, sumX2);
            t = Math.fma(-sumX, m * 2.0, t);
            t = Math.fma(sumL, m * s2, t);
            t = Math.fma(sumL2, s * s, t);
            return Math.fma(sumW, m * m, t);
        }
        // 2*s*sum_xl + 2*m*sum_x - 2*s*m*sum_l - s*s*sum_l2 - m*m*sum_w
        double t = Math.fma(sumXl, s2, (m * 2.0) * sumX);
        t = Math.fma(-sumL, s2 * m, t);
        t = Math.fma(-sumL2, s * s, t);
        return Math.fma(-(m * m), sumW, t);
    }

    /**
     * {@code make_qp_quants(n, nmax, x, L, quant_weights)}: the super-block scales with weights, (8, 63) for
     * Q4_K/Q5_K and (16, 15) for Q2_K (out-of-line clones, fully unrolled, alike). Returns the scale; {@code L[0..n)}
     * the levels.
     */
    static float makeQp(int n, int nmax, float[] x, byte[] L, float[] qw) {
        return makeQp(n, nmax, x, L, qw, true);
    }

    /**
     * {@link #makeQp} as the C function is compiled where it is inlined: {@code fusedTrialError} false for its copy in
     * {@code quantize_row_iq2_xxs_impl} (n = 32, nmax = 4), whose trial loop is vectorized, so each trial's error
     * Σ (w·diff)·diff has its products rounded and summed in order; everything else as in the out-of-line clones.
     */
    public static float makeQp(int n, int nmax, float[] x, byte[] L, float[] qw, boolean fusedTrialError) {
        float max = 0;
        for (int i = 0; i < n; ++i) max = Math.max(max, x[i]);
        if (max < 1e-16f) {
            for (int i = 0; i < n; ++i) L[i] = 0;
            return 0.f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) L[i] = (byte) nearestIntFma(iscale, x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = Math.fma(-scale, (float) (L[i] & 0xFF), x[i]);
            bestMse = Math.fma(qw[i] * diff, diff, bestMse);
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) continue;
            float iscaleIs = Math.fma((float) is, 0.1f, (float) nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = Math.min(nmax, nearestIntFma(iscaleIs, x[i]));
                float diff = Math.fma(-scaleIs, (float) l, x[i]);
                mse = fusedTrialError ? Math.fma(diff, qw[i] * diff, mse) : mse + qw[i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = Math.min(nmax, nearestIntFma(iscale, x[i]));
            L[i] = (byte) l;
            float fl = l;
            sumlx = Math.fma(fl, qw[i] * x[i], sumlx);
            suml2 = Math.fma(fl * qw[i], fl, suml2);
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float w = qw[i];
                float li = L[i] & 0xFF;
                float wx = w * x[i];
                float slx = Math.fma(-wx, li, sumlx);
                if (slx > 0) {
                    float sl2 = Math.fma(-li, w * li, suml2);
                    if (sl2 > 0) {
                        int newL = Math.min(nmax, nearestInt(x[i] * sl2 / slx));
                        if (newL != (L[i] & 0xFF)) {
                            float fl = newL;
                            slx = Math.fma(wx, fl, slx);
                            sl2 = Math.fma(fl, w * fl, sl2);
                            if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        return sumlx / suml2;
    }

    private static int clamp(int l, int nmax) {
        return Math.max(0, Math.min(nmax, l));
    }
}
