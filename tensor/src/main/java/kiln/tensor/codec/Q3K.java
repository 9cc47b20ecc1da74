package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.getScaleQ3K;
import static kiln.tensor.codec.QuantMath.makeQ3Quants;
import static kiln.tensor.codec.QuantMath.makeQxQuants;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.QuantMath.packScalesQ3K;

/**
 * Q3_K (spec §3.4): {@code quantize_row_q3_K_ref}, {@code quantize_row_q3_K_impl} (with weights) and
 * {@code dequantize_row_q3_K}. Block: hmask[32], qs[64], scales[12] (16 six-bit signed scales), d.
 */
final class Q3K extends BlockCodec {
    static final Q3K INSTANCE = new Q3K();

    private static final int HMASK = 0, QS = 32, SCALES = 96, D = 108, SIZE = 110;

    private Q3K() {
        super(GgmlType.Q3_K);
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K], ls = new byte[16];
        float[] scales = new float[16], weight = new float[16], sw = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            if (qw == null) {
                quantizeRef(x, xb, out, o, L, ls, scales);
            } else {
                quantizeWeighted(x, xb, qw, i * QK_K, out, o, L, ls, scales, weight, sw);
            }
            requantizeAndPack(x, xb, out, o, L);
        }
    }

    private static void quantizeRef(float[] x, int xb, byte[] out, int o, byte[] L, byte[] ls, float[] scales) {
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; ++j) {
            scales[j] = makeQ3Quants(16, 4, x, xb + 16 * j, L, 16 * j, true);
            float scale = Math.abs(scales[j]);
            if (scale > amax) { amax = scale; maxScale = scales[j]; }
        }
        if (maxScale != 0) {
            float iscale = -32.f / maxScale;
            for (int j = 0; j < 16; ++j) {
                byte l = (byte) nearestInt(iscale * scales[j]); // int8_t l = nearest_int(...): wraps first
                ls[j] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
            packScalesQ3K(ls, out, o + SCALES);
            putHalf(out, o + D, 1 / iscale);
        } else {
            for (int k = 0; k < 12; k++) out[o + SCALES + k] = 0;
            putHalf(out, o + D, 0.f);
        }
    }

    private static void quantizeWeighted(float[] x, int xb, float[] qw, int qwOff, byte[] out, int o, byte[] L,
                                         byte[] ls, float[] scales, float[] weight, float[] sw) {
        float sigma2 = 2 * sumSquares(x, xb, QK_K) / QK_K;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l) {
                float xv = x[xb + 16 * j + l];
                weight[l] = qw[qwOff + 16 * j + l] * (float) Math.sqrt(sigma2 + xv * xv);
            }
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = makeQxQuants(16, 4, x, xb + 16 * j, L, 16 * j, 1, weight, 0);
        }
        float dBlock = makeQxQuants(16, 32, scales, 0, ls, 0, 1, sw, 0);
        packScalesQ3K(ls, out, o + SCALES);
        putHalf(out, o + D, dBlock);
    }

    /** Re-quantizes against the stored scales (a zero scale keeps the first-pass levels), sets hmask, packs qs. */
    private static void requantizeAndPack(float[] x, int xb, byte[] out, int o, byte[] L) {
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
        for (int e = 0; e < QK_K; ++e) {
            if (L[e] > 3) {
                out[o + HMASK + e % 32] |= (byte) (1 << (e / 32));
                L[e] -= 4;
            }
        }
        Q2K.pack2Bits(L, out, o + QS);
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        for (int i = 0; i < n / QK_K; i++) {
            int o = i * SIZE, yb = yOff + i * QK_K;
            float dAll = half(in, o + D);
            for (int sb = 0; sb < 16; ++sb) {
                float dl = dAll * getScaleQ3K(sb, in, o + SCALES);
                for (int l = 0; l < 16; ++l) {
                    int e = 16 * sb + l;
                    int high = (in[o + HMASK + e % 32] & (1 << (e / 32))) != 0 ? 0 : 4;
                    y[yb + e] = dl * (Q2K.level2(in, o + QS, e) - high);
                }
            }
        }
    }
}
