package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.getScaleMinK4;
import static kiln.tensor.codec.QuantMath.makeQkx2Quants;
import static kiln.tensor.codec.QuantMath.makeQkx3Quants;
import static kiln.tensor.codec.QuantMath.makeQpQuants;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.QuantMath.packScaleMinK4;

/**
 * Q4_K and Q5_K (spec §3.4), which share everything but the level count and the fifth-bit plane:
 * {@code quantize_row_q{4,5}_K_ref}, {@code quantize_row_q{4,5}_K_impl} (with weights) and
 * {@code dequantize_row_q{4,5}_K}. Block: d, dmin, scales[12] (8 six-bit scales + mins), [qh[32] for Q5_K], qs[128].
 */
final class Q45K extends BlockCodec {
    static final Q45K Q4_K = new Q45K(GgmlType.Q4_K, 15, -1.0f, 0.1f, 20);
    static final Q45K Q5_K = new Q45K(GgmlType.Q5_K, 31, -0.5f, 0.1f, 15);

    private static final int D = 0, DMIN = 2, SCALES = 4, QH = 16;

    private final int nmax;
    private final boolean fiveBit;
    private final float refRmin, refRdelta;
    private final int refNstep;
    private final int qsOff, size;

    private Q45K(GgmlType type, int nmax, float refRmin, float refRdelta, int refNstep) {
        super(type);
        this.nmax = nmax;
        this.fiveBit = nmax == 31;
        this.refRmin = refRmin;
        this.refRdelta = refRdelta;
        this.refNstep = refNstep;
        this.qsOff = fiveBit ? 48 : 16;
        this.size = type.typeSize();
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K], lAux = new byte[32], ls = new byte[8], lm = new byte[8];
        float[] weights = new float[32], mins = new float[8], scales = new float[8], sw = new float[8];
        byte[] packed = new byte[12];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * size;
            if (qw == null) {
                quantizeRef(x, xb, out, o, L, lAux, weights, mins, scales, ls, lm);
            } else {
                quantizeWeighted(x, xb, qw, i * QK_K, out, o, L, lAux, weights, mins, scales, sw, ls, lm);
            }
            packScaleMinK4(ls, lm, packed, 0);
            System.arraycopy(packed, 0, out, o + SCALES, 12);
            Q45KLayout.requantize(x, xb, out, o, L, nmax);
            Q45KLayout.pack(L, out, o, fiveBit);
        }
    }

    private void quantizeRef(float[] x, int xb, byte[] out, int o, byte[] L, byte[] lAux, float[] weights,
                             float[] mins, float[] scales, byte[] ls, byte[] lm) {
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; ++j) {
            float sumX2 = sumSquares(x, xb + 32 * j, 32);
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = avX + Math.abs(x[xb + 32 * j + l]);
            scales[j] = makeQkx2Quants(32, nmax, x, xb + 32 * j, weights, 0, L, 32 * j, mins, j, lAux,
                    refRmin, refRdelta, refNstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; ++j) {
            // uint8_t ls = nearest_int(...): the store wraps modulo 256 before MIN(63, ls)
            ls[j] = (byte) Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            lm[j] = (byte) Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
        }
        putHalf(out, o + D, maxScale / 63.f);
        putHalf(out, o + DMIN, maxMin / 63.f);
    }

    private void quantizeWeighted(float[] x, int xb, float[] qw, int qwOff, byte[] out, int o, byte[] L, byte[] lAux,
                                  float[] weights, float[] mins, float[] scales, float[] sw, byte[] ls, byte[] lm) {
        float sigma2 = 2 * sumSquares(x, xb, QK_K) / QK_K;
        for (int j = 0; j < 8; ++j) {
            for (int l = 0; l < 32; ++l) {
                float xv = x[xb + 32 * j + l];
                weights[l] = qw[qwOff + 32 * j + l] * (float) Math.sqrt(sigma2 + xv * xv);
            }
            float sumw = 0;
            for (int l = 0; l < 32; ++l) sumw += weights[l];
            sw[j] = sumw;
            scales[j] = makeQkx3Quants(32, nmax, x, xb + 32 * j, weights, 0, L, 32 * j, mins, j, lAux,
                    -0.9f, 0.05f, 36, false);
        }
        float dBlock = makeQpQuants(8, 63, scales, 0, ls, 0, sw, 0);
        float mBlock = makeQpQuants(8, 63, mins, 0, lm, 0, sw, 0);
        if (fiveBit) { // quantize_row_q5_K_impl clamps with MIN(63, ·); the Q4_K one does not
            for (int j = 0; j < 8; ++j) {
                ls[j] = (byte) Math.min(63, ls[j] & 0xFF);
                lm[j] = (byte) Math.min(63, lm[j] & 0xFF);
            }
        }
        putHalf(out, o + D, dBlock);
        putHalf(out, o + DMIN, mBlock);
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        for (int i = 0; i < n / QK_K; i++) {
            int o = i * size, yb = yOff + i * QK_K;
            float d = half(in, o + D), min = half(in, o + DMIN);
            int q = o + qsOff;
            int u1 = 1, u2 = 2, is = 0;
            for (int c = 0; c < QK_K; c += 64) {
                int sm1 = getScaleMinK4(is, in, o + SCALES), sm2 = getScaleMinK4(is + 1, in, o + SCALES);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; ++l) {
                    int b = in[q + l] & 0xFF;
                    int h1 = 0, h2 = 0;
                    if (fiveBit) {
                        int qh = in[o + QH + l] & 0xFF;
                        h1 = (qh & u1) != 0 ? 16 : 0;
                        h2 = (qh & u2) != 0 ? 16 : 0;
                    }
                    y[yb + c + l] = d1 * ((b & 0xF) + h1) - m1;
                    y[yb + c + 32 + l] = d2 * ((b >> 4) + h2) - m2;
                }
                q += 32;
                is += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }
}
