package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;
import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * ik's Q2_K quantizer: {@code quantize_row_q2_K_ref} without weights (with ik's "TriNet" shortcut for ternary
 * weights) and {@code quantize_row_q2_K_impl} with weights, in the reference build's fused arithmetic.
 * Block: scales[16] (scale | min &lt;&lt; 4), qs[64], d, dmin.
 *
 * <p>The TriNet test (all of |x| against the largest |x|) runs over everything passed to one {@link #quantize}
 * call; ik runs it over a whole chunk of rows (at least 16384 values). They agree unless a tensor has both ternary
 * and non-ternary rows.
 */
final class IkQ2K extends IkBlockCodec {
    static final IkQ2K INSTANCE = new IkQ2K();

    private static final int SCALES = 0, QS = 16, D = 80, DMIN = 82, SIZE = 84;

    private IkQ2K() {
        super(GgmlType.Q2_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K];
        if (qw == null && quantizeTrinet(x, xOff, n, out, L)) return;
        byte[] lAux = new byte[16], ls = new byte[16], lm = new byte[16];
        float[] weights = new float[16], mins = new float[16], scales = new float[16], sw = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            if (qw == null) {
                float maxScale = 0, maxMin = 0;
                for (int j = 0; j < 16; ++j) {
                    for (int l = 0; l < 16; ++l) weights[l] = Math.abs(x[xb + 16 * j + l]);
                    scales[j] = IkQkxQuants.makeQkx2(16, 3, x, xb + 16 * j, weights, L, 16 * j, mins, j, lAux,
                            -0.5f, 0.1f, 15, true);
                    if (scales[j] > maxScale) maxScale = scales[j];
                    if (mins[j] > maxMin) maxMin = mins[j];
                }
                if (maxScale > 0) {
                    float iscale = 15.f / maxScale;
                    for (int j = 0; j < 16; ++j) out[o + SCALES + j] = (byte) nearestIntFma(iscale, scales[j]);
                    putHalf(out, o + D, maxScale / 15.f);
                } else {
                    for (int j = 0; j < 16; ++j) out[o + SCALES + j] = 0;
                    putHalf(out, o + D, 0.f);
                }
                if (maxMin > 0) {
                    float iscale = 15.f / maxMin;
                    for (int j = 0; j < 16; ++j) out[o + SCALES + j] |= (byte) (nearestIntFma(iscale, mins[j]) << 4);
                    putHalf(out, o + DMIN, maxMin / 15.f);
                } else {
                    putHalf(out, o + DMIN, 0.f);
                }
                float dAll = half(out, o + D), mAll = half(out, o + DMIN);
                for (int j = 0; j < 16; ++j) {
                    int sc = out[o + SCALES + j] & 0xFF;
                    float d = dAll * (sc & 0xF);
                    if (d == 0) continue;
                    float dm = mAll * (sc >> 4);
                    for (int ii = 0; ii < 16; ++ii) {
                        int l = nearestInt((x[xb + 16 * j + ii] + dm) / d);
                        L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                    }
                }
            } else {
                float sumX2 = 0;
                for (int j = 0; j < QK_K; ++j) sumX2 += x[xb + j] * x[xb + j];  // vectorized: not fused
                float sigma2 = (0.75f * sumX2) * 0.00390625f;
                for (int j = 0; j < 16; ++j) {
                    float s = 0;
                    for (int l = 0; l < 16; ++l) {
                        float v = x[xb + 16 * j + l];
                        weights[l] = qw[i * QK_K + 16 * j + l] * sqrtf(Math.fma(v, v, sigma2));
                        s += weights[l];
                    }
                    sw[j] = s;
                    scales[j] = IkQkxQuants.makeQkx3(16, 3, x, xb + 16 * j, weights, 0, L, 16 * j, mins, j, lAux,
                            -0.9f, 0.05f, 36);
                }
                float dm = IkQkxQuants.makeQp(16, 15, scales, ls, sw);
                float mm = IkQkxQuants.makeQp(16, 15, mins, lm, sw);
                putHalf(out, o + D, dm);
                putHalf(out, o + DMIN, mm);
                for (int j = 0; j < 16; ++j) {
                    float d = dm * (ls[j] & 0xFF);
                    float id = d != 0 ? 1 / d : 0.f;
                    float lmj = lm[j] & 0xFF;
                    for (int l = 0; l < 16; ++l) {
                        int q = nearestIntFma(Math.fma(mm, lmj, x[xb + 16 * j + l]), id);
                        L[16 * j + l] = (byte) Math.max(0, Math.min(3, q));
                    }
                    out[o + SCALES + j] = (byte) (ls[j] | (lm[j] << 4));
                }
            }
            pack(L, out, o);
        }
    }

    /** ik's ternary shortcut: when levels {−max, 0, +max} fit (error &lt; 10 % of Σx²) every block stores them. */
    private static boolean quantizeTrinet(float[] x, int xOff, int n, byte[] out, byte[] L) {
        float max = 0;
        for (int j = 0; j < n; ++j) max = Math.max(max, Math.abs(x[xOff + j]));
        float mse0 = 0, mse = 0;
        for (int j = 0; j < n; ++j) {
            float v = x[xOff + j];
            int l = v < -0.5f * max ? -1 : v < 0.5f * max ? 0 : 1;
            mse0 = Math.fma(v, v, mse0);
            float diff = v - max * l;
            mse = Math.fma(diff, diff, mse);
        }
        if (!(mse < 0.1f * mse0)) return false;
        for (int ibl = 0; ibl < n / QK_K; ++ibl) {
            int o = ibl * SIZE, xb = xOff + QK_K * ibl;
            putHalf(out, o + D, max);
            putHalf(out, o + DMIN, max);
            for (int ib = 0; ib < 16; ++ib) out[o + SCALES + ib] = 1 | (1 << 4);
            for (int j = 0; j < QK_K; ++j) {
                float v = x[xb + j];
                L[j] = (byte) (v < -0.5f * max ? 0 : v < 0.5f * max ? 1 : 2);
            }
            pack(L, out, o);
        }
        return true;
    }

    private static void pack(byte[] L, byte[] out, int o) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                out[o + QS + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }
}
