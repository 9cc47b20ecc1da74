package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.getScaleQ3K;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.QuantMath.packScalesQ3K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;
import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * ik's Q3_K quantizer: {@code quantize_row_q3_K_ref} (make_q3_quants, inlined and unrolled) without weights and
 * {@code quantize_row_q3_K_impl} (ik's make_qx_quants for the levels and the 6-bit scales) with weights, in the
 * reference build's fused arithmetic. Block: hmask[32], qs[64], scales[12], d.
 */
final class IkQ3K extends IkBlockCodec {
    static final IkQ3K INSTANCE = new IkQ3K();

    private static final int HMASK = 0, QS = 32, SCALES = 96, D = 108, SIZE = 110;

    private IkQ3K() {
        super(GgmlType.Q3_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K], ls = new byte[16], packed = new byte[12];
        float[] scales = new float[16], weight = new float[16], sw = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            if (qw == null) {
                float maxScale = 0, amax = 0;
                for (int j = 0; j < 16; ++j) {
                    scales[j] = makeQ3(x, xb + 16 * j, L, 16 * j);
                    float scale = Math.abs(scales[j]);
                    if (scale > amax) { amax = scale; maxScale = scales[j]; }
                }
                if (maxScale != 0) {
                    float iscale = -32.f / maxScale;
                    for (int j = 0; j < 16; ++j) {
                        int l = (byte) nearestIntFma(iscale, scales[j]); // int8_t l = nearest_int(...)
                        ls[j] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                    }
                    packScalesQ3K(ls, packed, 0);
                    putHalf(out, o + D, 1 / iscale);
                } else {
                    java.util.Arrays.fill(packed, (byte) 0);
                    putHalf(out, o + D, 0.f);
                }
            } else {
                float sumX2 = 0;
                for (int j = 0; j < QK_K; ++j) sumX2 += x[xb + j] * x[xb + j];  // vectorized: not fused
                float sigma2 = (sumX2 * 2.0f) * 0.00390625f;
                for (int j = 0; j < 16; ++j) {
                    float sumw = 0;
                    for (int l = 0; l < 16; ++l) {
                        float v = x[xb + 16 * j + l];
                        weight[l] = qw[i * QK_K + 16 * j + l] * sqrtf(Math.fma(v, v, sigma2));
                    }
                    for (int l = 0; l < 16; ++l) sumw += weight[l];
                    sw[j] = sumw;
                    scales[j] = IkQxQuants.make(16, 4, x, xb + 16 * j, L, 16 * j, weight, 0);
                }
                float dBlock = IkQxQuants.make(16, 32, scales, 0, ls, 0, sw, 0);
                packScalesQ3K(ls, packed, 0);
                putHalf(out, o + D, dBlock);
            }
            System.arraycopy(packed, 0, out, o + SCALES, 12);
            float dAll = half(out, o + D);
            for (int j = 0; j < 16; ++j) {
                float d = dAll * getScaleQ3K(j, out, o + SCALES);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            for (int k = 0; k < 32; k++) out[o + HMASK + k] = 0;
            int m = 0, hm = 1;
            for (int j = 0; j < QK_K; ++j) {
                if (L[j] > 3) {
                    out[o + HMASK + m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == QK_K / 8) { m = 0; hm <<= 1; }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    out[o + QS + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
                }
            }
        }
    }

    /** {@code make_q3_quants(16, 4, x, L, true)}; levels stored as l + 4. */
    private static float makeQ3(float[] x, int xo, byte[] L, int lo) {
        final int n = 16, nmax = 4;
        float max = 0, amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestIntFma(iscale, xi)));
            L[lo + i] = (byte) l;
            float w = xi * xi;
            float fl = l;
            sumlx = Math.fma(w * xi, fl, sumlx);
            suml2 = Math.fma(fl, fl * w, suml2);
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                float w = xi * xi;
                float wx = w * xi;
                float li = L[lo + i];
                float slx = Math.fma(-wx, li, sumlx);
                if (slx > 0) {
                    float sl2 = Math.fma(-li, w * li, suml2);
                    int newL = Math.max(-nmax, Math.min(nmax - 1, nearestInt(xi * sl2 / slx)));
                    if (newL != L[lo + i]) {
                        float fl = newL;
                        slx = Math.fma(wx, fl, slx);
                        sl2 = Math.fma(fl, w * fl, sl2);
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        for (int i = 0; i < n; ++i) L[lo + i] += (byte) nmax;
        return sumlx / suml2;
    }
}
