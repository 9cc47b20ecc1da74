package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.makeQkx2Quants;
import static kiln.tensor.codec.QuantMath.makeQkx3Quants;
import static kiln.tensor.codec.QuantMath.makeQpQuants;
import static kiln.tensor.codec.QuantMath.nearestInt;

/**
 * Q2_K (spec §3.4): {@code quantize_row_q2_K_ref}, {@code quantize_row_q2_K_impl} (with weights) and
 * {@code dequantize_row_q2_K}. Block: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
 */
public final class Q2K extends BlockCodec {
    static final Q2K INSTANCE = new Q2K();

    private static final int SCALES = 0, QS = 16, D = 80, DMIN = 82, SIZE = 84;

    private Q2K() {
        super(GgmlType.Q2_K);
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K], lAux = new byte[16], ls = new byte[16], lm = new byte[16];
        float[] weights = new float[16], mins = new float[16], scales = new float[16], sw = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            if (qw == null) {
                quantizeRef(x, xb, out, o, L, lAux, weights, mins, scales);
            } else {
                quantizeWeighted(x, xb, qw, i * QK_K, out, o, L, lAux, weights, mins, scales, sw, ls, lm);
            }
            requantize(x, xb, out, o, L);
            pack2Bits(L, out, o + QS);
        }
    }

    private static void quantizeRef(float[] x, int xb, byte[] out, int o, byte[] L, byte[] lAux, float[] weights,
                                    float[] mins, float[] scales) {
        final float q4scale = 15.f;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = Math.abs(x[xb + 16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x, xb + 16 * j, weights, 0, L, 16 * j, mins, j, lAux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; ++j) out[o + SCALES + j] = (byte) nearestInt(iscale * scales[j]);
            putHalf(out, o + D, maxScale / q4scale);
        } else {
            for (int j = 0; j < 16; ++j) out[o + SCALES + j] = 0;
            putHalf(out, o + D, 0.f);
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; ++j) out[o + SCALES + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
            putHalf(out, o + DMIN, maxMin / q4scale);
        } else {
            putHalf(out, o + DMIN, 0.f);
        }
    }

    private static void quantizeWeighted(float[] x, int xb, float[] qw, int qwOff, byte[] out, int o, byte[] L,
                                         byte[] lAux, float[] weight, float[] mins, float[] scales, float[] sw,
                                         byte[] ls, byte[] lm) {
        float sigma2 = sumSquares(x, xb, QK_K) / QK_K;
        for (int j = 0; j < 16; ++j) {
            sw[j] = 0;
            for (int l = 0; l < 16; ++l) {
                float xv = x[xb + 16 * j + l];
                weight[l] = qw[qwOff + 16 * j + l] * (float) Math.sqrt(sigma2 + xv * xv);
            }
            for (int l = 0; l < 16; ++l) sw[j] += weight[l];
            scales[j] = makeQkx3Quants(16, 3, x, xb + 16 * j, weight, 0, L, 16 * j, mins, j, lAux, -0.9f, 0.05f, 36, false);
        }
        float dm = makeQpQuants(16, 15, scales, 0, ls, 0, sw, 0);
        float mm = makeQpQuants(16, 15, mins, 0, lm, 0, sw, 0);
        putHalf(out, o + D, dm);
        putHalf(out, o + DMIN, mm);
        for (int j = 0; j < 16; ++j) out[o + SCALES + j] = (byte) ((ls[j] & 0xFF) | ((lm[j] & 0xFF) << 4));
    }

    /** Re-quantizes every sub-block against the stored (fp16) scales; a zero scale keeps the first-pass levels. */
    private static void requantize(float[] x, int xb, byte[] out, int o, byte[] L) {
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
    }

    /** qs[32h + l] = L[128h+l] | L[128h+l+32]<<2 | L[128h+l+64]<<4 | L[128h+l+96]<<6 (shared with Q3_K). */
    public static void pack2Bits(byte[] L, byte[] out, int qsOff) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                out[qsOff + j / 4 + l] = (byte) ((L[j + l] & 0xFF) | ((L[j + l + 32] & 0xFF) << 2)
                        | ((L[j + l + 64] & 0xFF) << 4) | ((L[j + l + 96] & 0xFF) << 6));
            }
        }
    }

    /** The 2-bit level of element e (0..255) packed by {@link #pack2Bits}. */
    public static int level2(byte[] in, int qsOff, int e) {
        return ((in[qsOff + 32 * (e / 128) + e % 32] & 0xFF) >> (2 * ((e % 128) / 32))) & 3;
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        for (int i = 0; i < n / QK_K; i++) {
            int o = i * SIZE, yb = yOff + i * QK_K;
            float d = half(in, o + D), min = half(in, o + DMIN);
            for (int sb = 0; sb < 16; ++sb) {
                int sc = in[o + SCALES + sb] & 0xFF;
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; ++l) {
                    int e = 16 * sb + l;
                    y[yb + e] = dl * level2(in, o + QS, e) - ml;
                }
            }
        }
    }
}
