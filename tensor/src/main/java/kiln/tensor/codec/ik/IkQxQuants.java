package kiln.tensor.codec.ik;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * ik's {@code make_qx_quants(n, nmax, x, L, 1, qw)} (rmse_type 1) for n = 16 (Q6_K, Q3_K with weights) and n = 32
 * (Q4_0, Q5_0 with weights) as its reference build computes it: both out-of-line clones round alike. ik's version adds a greedy coordinate
 * descent after mainline's scale search. Roundings (see {@link FusedMath}): the first pass is a scalar loop with
 * fused sums; the ±0.1 scale search is vectorized (products rounded, sums in order, not fused); the descent fuses
 * {@code x - scale*l} and the {@code suml2} update. Levels are stored as {@code l + nmax} (C's {@code int8_t}).
 */
final class IkQxQuants {
    private IkQxQuants() {}

    static float make(int n, int nmax, float[] x, int xo, byte[] L, int lo, float[] qw, int qo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            return 0.f;
        }
        float iscale = (float) -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = clamp(nearestIntFma(iscale, xi), nmax);
            L[lo + i] = (byte) (l + nmax);
            float w = qw != null ? qw[qo + i] : xi * xi;
            float fl = l;
            sumlx = Math.fma(fl, w * xi, sumlx);
            suml2 = Math.fma(fl * w, fl, suml2);
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            float t = (float) is * 0.1f;
            for (int pass = 0; pass < 2; ++pass) {
                iscale = pass == 0 ? -(t + (float) nmax) / max : (t + (float) (nmax - 1)) / max;
                float slx = 0, sl2 = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xo + i];
                    float fl = clamp(nearestIntFma(iscale, xi), nmax);
                    float w = qw != null ? qw[qo + i] : xi * xi;
                    slx += (w * xi) * fl;
                    sl2 += (w * fl) * fl;
                }
                if (sl2 > 0 && slx * slx > best * sl2) {
                    for (int i = 0; i < n; ++i) {
                        L[lo + i] = (byte) (nmax + clamp(nearestIntFma(iscale, x[xo + i]), nmax));
                    }
                    sumlx = slx;
                    suml2 = sl2;
                    scale = sumlx / suml2;
                    best = scale * sumlx;
                }
            }
        }
        for (int iter = 0; iter < n * (2 * nmax - 1); ++iter) {
            float absGmax = 0, gmax = 0;
            int bestJ = -1;
            for (int j = 0; j < n; ++j) {
                float xj = x[xo + j];
                float w = qw != null ? qw[qo + j] : xj * xj;
                int l = L[lo + j] - nmax;
                float g = (w * scale) * Math.fma(-(float) l, scale, xj);
                if ((g > 0 && l < nmax - 1) || (g < 0 && l > -nmax)) {
                    float ag = Math.abs(g);
                    if (ag > absGmax) {
                        absGmax = ag; gmax = g; bestJ = j;
                    }
                }
            }
            if (bestJ < 0) break;
            float xj = x[xo + bestJ];
            float w = qw != null ? qw[qo + bestJ] : xj * xj;
            int l = L[lo + bestJ] - nmax;
            float wx = xj * w;
            float newSumlx, newSuml2;
            if (gmax > 0) {
                newSumlx = sumlx + wx;
                newSuml2 = Math.fma(w, (float) (2 * l + 1), suml2);
                l += 1;
            } else {
                newSumlx = sumlx - wx;
                newSuml2 = Math.fma(-w, (float) (2 * l - 1), suml2);
                l -= 1;
            }
            if (newSuml2 > 0 && newSumlx * newSumlx > best * newSuml2) {
                sumlx = newSumlx;
                suml2 = newSuml2;
                scale = sumlx / suml2;
                best = scale * sumlx;
                L[lo + bestJ] = (byte) (l + nmax);
            } else {
                break;
            }
        }
        return scale;
    }

    private static int clamp(int l, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, l));
    }
}
