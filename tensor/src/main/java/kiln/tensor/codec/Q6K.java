package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.makeQxQuants;
import static kiln.tensor.codec.QuantMath.nearestInt;

/**
 * Q6_K (spec §3.4): {@code quantize_row_q6_K_ref}, {@code quantize_row_q6_K_impl} (with weights: the raw imatrix
 * values, no sigma2 term) and {@code dequantize_row_q6_K}. Block: ql[128], qh[64], scales[16] (int8), d.
 */
final class Q6K extends BlockCodec {
    static final Q6K INSTANCE = new Q6K();

    private static final int QL = 0, QH = 128, SCALES = 192, D = 208, SIZE = 210;

    private Q6K() {
        super(GgmlType.Q6_K);
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib) {
                float scale = makeQxQuants(16, 32, x, xb + 16 * ib, L, 16 * ib, 1, qw, i * QK_K + 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int k = 0; k < SIZE; k++) out[o + k] = 0; // memset + d = fp16(0) = 0x0000
                continue;
            }
            float iscale = -128.f / maxScale;
            putHalf(out, o + D, 1 / iscale);
            for (int ib = 0; ib < 16; ++ib) out[o + SCALES + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            float dAll = half(out, o + D);
            for (int j = 0; j < 16; ++j) {
                float d = dAll * out[o + SCALES + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            pack(L, out, o);
        }
    }

    private static void pack(byte[] L, byte[] out, int o) {
        int ql = o + QL, qh = o + QH;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                int a = L[j + l] & 0xFF, b = L[j + l + 32] & 0xFF, c = L[j + l + 64] & 0xFF, d = L[j + l + 96] & 0xFF;
                out[ql + l] = (byte) ((a & 0xF) | ((c & 0xF) << 4));
                out[ql + l + 32] = (byte) ((b & 0xF) | ((d & 0xF) << 4));
                out[qh + l] = (byte) ((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((d >> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        for (int i = 0; i < n / QK_K; i++) {
            int o = i * SIZE, yb = yOff + i * QK_K;
            float d = half(in, o + D);
            int ql = o + QL, qh = o + QH, sc = o + SCALES;
            for (int h = 0; h < QK_K; h += 128) {
                for (int l = 0; l < 32; ++l) {
                    int is = l / 16;
                    int lo0 = in[ql + l] & 0xFF, lo1 = in[ql + l + 32] & 0xFF, hi = in[qh + l] & 0xFF;
                    int q1 = ((lo0 & 0xF) | ((hi & 3) << 4)) - 32;
                    int q2 = ((lo1 & 0xF) | (((hi >> 2) & 3) << 4)) - 32;
                    int q3 = ((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32;
                    int q4 = ((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32;
                    y[yb + h + l] = d * in[sc + is] * q1;
                    y[yb + h + l + 32] = d * in[sc + is + 2] * q2;
                    y[yb + h + l + 64] = d * in[sc + is + 4] * q3;
                    y[yb + h + l + 96] = d * in[sc + is + 6] * q4;
                }
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }
}
