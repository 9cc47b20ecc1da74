package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.cTruncToInt;
import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * ik's Q4_0, Q4_1, Q5_0 and Q5_1 quantizers: {@code quantize_row_q*_ref} without weights (ik's build fuses
 * {@code x*id + 0.5/8.5/16.5}), {@code quantize_row_q*_impl} with weights (Σx² over the whole row, so {@code n} must
 * be one row; make_qx_quants for Q4_0/Q5_0, make_qkx3_quants for Q4_1/Q5_1). ik's {@code --symmetric-q40} option
 * is not reproduced. Blocks: Q4_0 d, qs[16]; Q4_1 d, m, qs[16]; Q5_0 d, qh[4], qs[16]; Q5_1 d, m, qh[4], qs[16].
 */
final class IkLegacy extends IkBlockCodec {
    static final IkLegacy Q4_0 = new IkLegacy(GgmlType.Q4_0, false, false);
    static final IkLegacy Q4_1 = new IkLegacy(GgmlType.Q4_1, true, false);
    static final IkLegacy Q5_0 = new IkLegacy(GgmlType.Q5_0, false, true);
    static final IkLegacy Q5_1 = new IkLegacy(GgmlType.Q5_1, true, true);

    private static final int QK = 32;

    private final boolean withMin, fiveBit;
    private final int size, qsOff;

    private IkLegacy(GgmlType type, boolean withMin, boolean fiveBit) {
        super(type);
        this.withMin = withMin;
        this.fiveBit = fiveBit;
        this.size = type.typeSize();
        this.qsOff = (withMin ? 4 : 2) + (fiveBit ? 4 : 0);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        int[] levels = new int[QK];
        if (qw == null) {
            for (int i = 0; i < n / QK; i++) {
                if (withMin) refWithMin(x, xOff + QK * i, out, size * i, levels);
                else refSymmetric(x, xOff + QK * i, out, size * i, levels);
                pack(levels, out, size * i);
            }
            return;
        }
        float sumX2 = 0;
        for (int j = 0; j < n; ++j) sumX2 += x[xOff + j] * x[xOff + j];      // vectorized: not fused
        float sigma2 = sumX2 / (float) n;
        float[] weight = new float[QK], theMin = new float[1];
        byte[] L = new byte[QK], lAux = new byte[QK];
        int nmax = fiveBit ? 16 : 8, qmax = fiveBit ? 31 : 15;
        for (int ib = 0; ib < n / QK; ++ib) {
            int xb = xOff + QK * ib, o = size * ib;
            for (int j = 0; j < QK; ++j) {
                float v = x[xb + j];
                weight[j] = qw[QK * ib + j] * sqrtf(Math.fma(v, v, sigma2));
            }
            if (withMin) {
                float d = IkQkxQuants.makeQkx3(QK, qmax, x, xb, weight, 0, L, 0, theMin, 0, lAux, -0.9f, 0.05f, 36);
                putHalf(out, o, d);
                putHalf(out, o + 2, -theMin[0]);
            } else {
                putHalf(out, o, IkQxQuants.make(QK, nmax, x, xb, L, 0, weight, 0));
            }
            for (int j = 0; j < QK; ++j) levels[j] = L[j] & 0xFF;
            pack(levels, out, o);
        }
    }

    /** {@code quantize_row_q4_0_ref} / {@code quantize_row_q5_0_ref}. */
    private void refSymmetric(float[] x, int xb, byte[] out, int o, int[] levels) {
        float amax = 0, max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[xb + j];
            if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
        }
        float d = fiveBit ? max / -16 : max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, o, d);
        float offset = fiveBit ? 16.5f : 8.5f;
        int qmax = fiveBit ? 31 : 15;
        for (int j = 0; j < QK; ++j) {
            // MIN(qmax, (int8_t)(x*id + offset)) stored into uint8_t
            levels[j] = Math.min(qmax, (byte) cTruncToInt(Math.fma(x[xb + j], id, offset))) & 0xFF;
        }
    }

    /** {@code quantize_row_q4_1_ref} / {@code quantize_row_q5_1_ref}. */
    private void refWithMin(float[] x, int xb, byte[] out, int o, int[] levels) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[xb + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / (fiveBit ? 31 : 15);
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, o, d);
        putHalf(out, o + 2, min);
        for (int j = 0; j < QK; ++j) {
            int t = cTruncToInt(Math.fma(x[xb + j] - min, id, 0.5f));
            levels[j] = fiveBit ? t & 0xFF : Math.min(15, (byte) t) & 0xFF;
        }
    }

    private void pack(int[] levels, byte[] out, int o) {
        int qh = 0;
        for (int j = 0; j < QK / 2; ++j) {
            int l0 = levels[j], l1 = levels[j + QK / 2];
            out[o + qsOff + j] = (byte) ((l0 & 0x0F) | ((l1 & 0x0F) << 4));
            qh |= ((l0 & 0x10) >> 4) << j;
            qh |= ((l1 & 0x10) >> 4) << (j + QK / 2);
        }
        if (fiveBit) {
            int h = qsOff - 4;
            out[o + h] = (byte) qh;
            out[o + h + 1] = (byte) (qh >> 8);
            out[o + h + 2] = (byte) (qh >> 16);
            out[o + h + 3] = (byte) (qh >> 24);
        }
    }
}
