package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;


import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * Q6_0, an ik-only type (ik's llama-quantize falls back to it for Q5_K tensors whose rows are not a multiple of
 * 256): {@code quantize_q6_0} → {@code quantize_row_q6_0_impl} (ik's make_qx_quants, weights x² or the imatrix
 * with Σx² over the row, so with weights {@code n} must be one row) and {@code dequantize_row_q6_0}.
 * Block (26 bytes): d (fp16), qh[8] (two high bits per value), qs[16].
 */
final class IkQ60 extends IkBlockCodec {
    static final IkQ60 INSTANCE = new IkQ60();

    private static final int QK = 32, SIZE = 26, QH = 2, QS = 10;

    private IkQ60() {
        super(GgmlType.Q6_0);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float sigma2 = 0;
        if (qw != null) {
            float sumX2 = 0;
            for (int j = 0; j < n; ++j) sumX2 += x[xOff + j] * x[xOff + j];  // vectorized: not fused
            sigma2 = sumX2 / (float) n;
        }
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        for (int ib = 0; ib < n / QK; ++ib) {
            int xb = xOff + QK * ib, o = SIZE * ib;
            for (int j = 0; j < QK; ++j) {
                float v = x[xb + j];
                weight[j] = qw != null ? qw[QK * ib + j] * sqrtf(Math.fma(v, v, sigma2)) : v * v;
            }
            putHalf(out, o, IkQxQuants.make(QK, 32, x, xb, L, 0, weight, 0));
            for (int j = 0; j < 8; ++j) out[o + QH + j] = 0;
            for (int j = 0; j < 16; ++j) {
                int xi0 = L[j] & 0xFF, xi1 = L[j + 16] & 0xFF;
                out[o + QS + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                int h = (xi0 >> 4) | ((xi1 >> 4) << 2);
                out[o + QH + j % 8] |= (byte) (h << 4 * (j / 8));
            }
        }
    }

    /** {@code dequantize_row_q6_0}. */
    @Override
    void dequantizeBlock(byte[] b, float[] y, int yb) {
        float d = Fp16.halfToFloat((short) ((b[0] & 0xFF) | (b[1] << 8)));
        for (int j = 0; j < QK / 2; ++j) {
            int h = (b[QH + j % 8] & 0xFF) >> (4 * (j / 8));
            int q = b[QS + j] & 0xFF;
            int x0 = ((q & 0x0F) | ((h << 4) & 0x30)) - 32;
            int x1 = ((q >> 4) | ((h << 2) & 0x30)) - 32;
            y[yb + j] = x0 * d;
            y[yb + j + QK / 2] = x1 * d;
        }
    }
}
