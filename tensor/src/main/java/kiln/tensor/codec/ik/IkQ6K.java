package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * ik's Q6_K quantizer: {@code quantize_row_q6_K_ref} (no weights) and {@code quantize_row_q6_K_impl} (the
 * importance weights are passed straight to make_qx_quants), both on ik's {@link IkQxQuants}.
 * Block: ql[128], qh[64], scales[16] (int8), d.
 */
final class IkQ6K extends IkBlockCodec {
    static final IkQ6K INSTANCE = new IkQ6K();

    private static final int QL = 0, QH = 128, SC = 192, D = 208, SIZE = 210;

    private IkQ6K() {
        super(GgmlType.Q6_K);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib) {
                float scale = IkQxQuants.make(16, 32, x, xb + 16 * ib, L, 16 * ib, qw, i * QK_K + 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int k = 0; k < SIZE; k++) out[o + k] = 0;
                continue;
            }
            float iscale = -128.f / maxScale;
            putHalf(out, o + D, 1 / iscale);
            for (int ib = 0; ib < 16; ++ib) {
                out[o + SC + ib] = (byte) Math.min(127, nearestIntFma(iscale, scales[ib]));
            }
            float dAll = half(out, o + D);
            for (int j = 0; j < 16; ++j) {
                float d = dAll * out[o + SC + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            int ql = o + QL, qh = o + QH;
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    out[ql + l] = (byte) (q1 | (q3 << 4));
                    out[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    out[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }
}
