package kiln.tensor.codec;

import kiln.tensor.Fp16;

/**
 * The numeric primitives and helper algorithms of ggml's scalar quantizers ({@code ggml/src/ggml-quants.c}),
 * bit-exact on the x86-64 reference build (float32 arithmetic, left-to-right evaluation as C writes it, no FMA).
 * Specified in {@code /work/shared/spec/gguf-and-quants.md} §3.0 (primitives) and §3.2 (helper algorithms).
 *
 * <p>Conventions of the array arguments, mirroring the C pointers: every array comes with an offset; level arrays
 * named {@code L} are {@code byte[]}. Where C declares them {@code int8_t} (make_qx_quants, make_q3_quants) read
 * them signed; where C declares them {@code uint8_t} (make_qkx2/3_quants, make_qp_quants) read them with
 * {@code & 0xFF} — a Java byte store reproduces C's modulo-256 store into {@code uint8_t}.
 *
 * <p>Every expression keeps C's evaluation order: {@code w*x[i]*l} is {@code (w*x[i])*l}, and so on. Do not
 * "simplify" any of them, and never use {@link Math#fma}.
 */
public final class QuantMath {
    private QuantMath() {}

    /** {@code GROUP_MAX_EPS}: below this max |x| a group counts as all zero (§3.0). */
    public static final float GROUP_MAX_EPS = 1e-15f;

    /** {@code QK_K}: elements of a k-quant / IQ4_XS super-block. */
    public static final int QK_K = 256;

    /** {@code kvalues_iq4nl} (§2.1), ascending, for IQ4_NL / IQ4_XS and {@link #bestIndexInt8}. */
    public static final byte[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    // ------------------------------------------------------------------------------------------------ §3.0

    /**
     * {@code nearest_int}: round half to even via the 1.5·2^23 trick (§3.0). Defined (as garbage, but the same
     * garbage as ggml's release build, which compiles the assert out) for |f| &gt; 4194303 as well.
     */
    public static int nearestInt(float f) {
        float val = f + 12582912.f;
        int i = Float.floatToRawIntBits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * A C cast {@code (int)f} as x86-64 compiles it ({@code cvttss2si}): truncation toward zero, and
     * {@code INT_MIN} for NaN and out-of-range values (Java's cast saturates instead). {@code (int8_t)} and
     * {@code (uint8_t)} casts of a float are this value's low byte.
     */
    public static int cTruncToInt(float f) {
        if (!(f >= -2147483648.0f && f < 2147483648.0f)) return Integer.MIN_VALUE;
        return (int) f;
    }

    /** C's {@code roundf}: round half away from zero (Q8_0, §3.0). Exact for every float. */
    public static float roundf(float f) {
        if (!(Math.abs(f) < 8388608.0f)) return f; // already integral (or NaN/inf)
        return Math.copySign((float) Math.round(Math.abs(f)), f); // Math.round is floor(x + 1/2), exact
    }

    /** fp32 → fp16 bits with ggml's software routine ({@link Fp16#floatToHalf}). */
    public static short fp16(float f) {
        return Fp16.floatToHalf(f);
    }

    /** {@code GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(f))}: the value a stored half scale reads back as. */
    public static float fp16RoundTrip(float f) {
        return Fp16.halfToFloat(Fp16.floatToHalf(f));
    }

    // ------------------------------------------------------------------------------------------------ §3.2

    /**
     * {@code best_index_int8(n, val, x)}: index of the nearest value of the ascending table {@code val}
     * (binary search; on an exact midpoint the upper index wins), §3.2.
     */
    public static int bestIndexInt8(int n, byte[] val, float x) {
        if (x <= val[0]) return 0;
        if (x >= val[n - 1]) return n - 1;
        int ml = 0, mu = n - 1;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < val[mav]) mu = mav; else ml = mav;
        }
        return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
    }

    /**
     * {@link #bestIndexInt8} for a table already widened to float ({@code val[i] = (float) int8 value}), with the
     * same result for every x, NaN included (ggml's search then ends at n-1), for a strictly ascending table.
     * A 16-entry table (IQ4) takes a branch-free search: for x strictly inside the table both find the l with val[l] &lt;= x &lt; val[l+1].
     */
    public static int bestIndex(float[] val, float x) {
        int n = val.length;
        if (x <= val[0]) return 0;
        if (!(x < val[n - 1])) return n - 1;
        int l;
        if (n == 16) {
            l = val[8] <= x ? 8 : 0;
            l += val[l + 4] <= x ? 4 : 0;
            l += val[l + 2] <= x ? 2 : 0;
            l += val[l + 1] <= x ? 1 : 0;
        } else {
            int ml = 0, mu = n - 1;
            while (mu - ml > 1) {
                int mav = (ml + mu) >>> 1;
                if (x < val[mav]) mu = mav; else ml = mav;
            }
            l = ml;
        }
        return x - val[l] < val[l + 1] - x ? l : l + 1;
    }

    /** Widens an int8 value table for {@link #bestIndex(float[], float)}. */
    public static float[] widen(byte[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = values[i];
        return f;
    }

    /** The weight make_qx_quants uses when no quant weights are given ({@code rmse_type} 1..4), §3.2 step 7. */
    private static float qxWeight(int rmseType, float x) {
        return rmseType == 1 ? x * x : rmseType == 2 ? 1 : rmseType == 3 ? Math.abs(x) : (float) Math.sqrt(Math.abs(x));
    }

    /**
     * {@code make_qx_quants}: symmetric quantization into {@code L[i] = l + nmax} (int8), returns the scale (§3.2).
     *
     * @param qw quant weights (from {@code qwOff}), or null to use the {@code rmseType} weighting
     */
    public static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, int rmseType,
                                     float[] qw, int qwOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) { amax = ax; max = x[xOff + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xOff + i]);
                L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
            float w = qw != null ? qw[qwOff + i] : qxWeight(rmseType, xi);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qw != null ? qw[qwOff + i] : qxWeight(rmseType, xi);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * {@code make_q3_quants}: symmetric quantization with the iterative per-element refinement, weights x²;
     * {@code L[i] = l + nmax} (int8); returns the scale (§3.2). Used by the Q3_K reference quantizer.
     */
    public static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) { amax = ax; max = x[xOff + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                L[lOff + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int nChanged = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    int li = L[lOff + i];
                    float w = xi * xi;
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = nearestInt(xi * sl2 / slx);
                        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lOff + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
                if (nChanged == 0) break;
            }
            for (int i = 0; i < n; ++i) L[lOff + i] += (byte) nmax;
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xOff + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric quantization x ≈ scale·L + min with a search over {@code nstep+1} trial
     * scales (§3.2). Writes {@code L} (uint8, 0..nmax) and {@code mins[minIdx] = -min}; returns the scale.
     *
     * @param weights required (from {@code wOff})
     * @param lAux    scratch of at least n bytes
     */
    public static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int wOff,
                                       byte[] L, int lOff, float[] mins, int minIdx, byte[] lAux,
                                       float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(false, n, nmax, x, xOff, weights, wOff, L, lOff, mins, minIdx, lAux, rmin, rdelta, nstep, useMad);
    }

    /**
     * {@code make_qkx3_quants}: as {@link #makeQkx2Quants} except that null {@code weights} means x², and the
     * degenerate test is {@code max <= min} (§3.2).
     */
    public static float makeQkx3Quants(int n, int nmax, float[] x, int xOff, float[] weights, int wOff,
                                       byte[] L, int lOff, float[] mins, int minIdx, byte[] lAux,
                                       float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(true, n, nmax, x, xOff, weights, wOff, L, lOff, mins, minIdx, lAux, rmin, rdelta, nstep, useMad);
    }

    private static float makeQkxQuants(boolean v3, int n, int nmax, float[] x, int xOff, float[] weights, int wOff,
                                       byte[] L, int lOff, float[] mins, int minIdx, byte[] lAux,
                                       float rmin, float rdelta, int nstep, boolean useMad) {
        float x0 = x[xOff];
        float min = x0;
        float max = x0;
        float sumW = weights != null ? weights[wOff] : x0 * x0;
        float sumX = sumW * x0;
        for (int i = 1; i < n; ++i) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights != null ? weights[wOff + i] : xi * xi;
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (v3 ? max <= min : max == min) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            mins[minIdx] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            float w = weights != null ? weights[wOff + i] : xi * xi;
            bestError += w * diff;
        }
        if (nstep < 1) {
            mins[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
                lAux[i] = (byte) l;
                float w = weights != null ? weights[wOff + i] : xi * xi;
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    float diff = thisScale * (lAux[i] & 0xFF) + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float w = weights != null ? weights[wOff + i] : xi * xi;
                    curError += w * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(lAux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[minIdx] = -min;
        return scale;
    }

    /**
     * {@code make_qp_quants}: quantizes non-negative values (sub-block scales or mins) to 0..nmax with quant
     * weights, trial scales and refinement (§3.2). {@code L} is uint8 (C's modulo-256 stores reproduced).
     */
    public static float makeQpQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, float[] qw, int qwOff) {
        float max = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            max = max > xi ? max : xi;
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) L[lOff + i] = (byte) nearestInt(iscale * x[xOff + i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = x[xOff + i] - scale * (L[lOff + i] & 0xFF);
            float w = qw[qwOff + i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[xOff + i]));
                float diff = x[xOff + i] - scaleIs * l;
                float w = qw[qwOff + i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = Math.min(nmax, nearestInt(iscale * xi));
            L[lOff + i] = (byte) l;
            float w = qw[qwOff + i];
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int li = L[lOff + i] & 0xFF;
                float w = qw[qwOff + i];
                float slx = sumlx - w * xi * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, nearestInt(xi * sl2 / slx));
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lOff + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    // ------------------------------------------------------------------------------- scale packing, §3.2

    /**
     * {@code get_scale_min_k4}: the 6-bit scale (low 8 bits of the result) and min (bits 8..15) of sub-block
     * {@code j} (0..7) from the 12 packed bytes at {@code q[qOff]} (Q4_K, Q5_K), §3.2.
     */
    public static int getScaleMinK4(int j, byte[] q, int qOff) {
        int sc, m;
        if (j < 4) {
            sc = q[qOff + j] & 63;
            m = q[qOff + j + 4] & 63;
        } else {
            sc = (q[qOff + j + 4] & 0xF) | (((q[qOff + j - 4] & 0xFF) >> 6) << 4);
            m = ((q[qOff + j + 4] & 0xFF) >> 4) | (((q[qOff + j] & 0xFF) >> 6) << 4);
        }
        return sc | (m << 8);
    }

    /**
     * Packs 8 six-bit scales {@code ls} and mins {@code lm} into 12 bytes at {@code q[qOff]} exactly as the
     * Q4_K/Q5_K quantizers do (j ascending; the bytes need not be zeroed first), §3.2.
     */
    public static void packScaleMinK4(byte[] ls, byte[] lm, byte[] q, int qOff) {
        for (int j = 0; j < 8; ++j) {
            int s = ls[j] & 0xFF, m = lm[j] & 0xFF;
            if (j < 4) {
                q[qOff + j] = (byte) s;
                q[qOff + j + 4] = (byte) m;
            } else {
                q[qOff + j + 4] = (byte) ((s & 0xF) | ((m & 0xF) << 4));
                q[qOff + j - 4] |= (byte) ((s >> 4) << 6);
                q[qOff + j] |= (byte) ((m >> 4) << 6);
            }
        }
    }

    /** The signed Q3_K scale (−32..31) of sub-block {@code j} (0..15) from the 12 packed bytes at {@code q[qOff]}, §3.2. */
    public static int getScaleQ3K(int j, byte[] q, int qOff) {
        int low = j < 8 ? q[qOff + j] & 0xF : (q[qOff + j - 8] & 0xFF) >> 4;
        int high = ((q[qOff + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3;
        return (low | (high << 4)) - 32;
    }

    /** Packs 16 six-bit Q3_K scales {@code l} (0..63) into 12 bytes at {@code q[qOff]}, zeroing them first (§3.2). */
    public static void packScalesQ3K(byte[] l, byte[] q, int qOff) {
        for (int i = 0; i < 12; i++) q[qOff + i] = 0;
        for (int j = 0; j < 16; ++j) {
            int lj = l[j] & 0xFF;
            if (j < 8) q[qOff + j] = (byte) (lj & 0xF);
            else q[qOff + j - 8] |= (byte) ((lj & 0xF) << 4);
            q[qOff + 8 + j % 4] |= (byte) ((lj >> 4) << (2 * (j / 4)));
        }
    }
}
