package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Q45KLayout;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.getScaleMinK4;
import static kiln.tensor.codec.QuantMath.nearestInt;
import static kiln.tensor.codec.QuantMath.packScaleMinK4;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;
import static kiln.tensor.codec.ik.FusedMath.sqrtf;

/**
 * ik's Q4_K and Q5_K quantizers: {@code quantize_row_q{4,5}_K_ref} (no weights) and
 * {@code quantize_row_q{4,5}_K_impl} (importance weights), with the reference build's fused arithmetic. The
 * algorithm is mainline's; the bytes differ because ik's build fuses multiply-adds (see {@link FusedMath}).
 * Block: d, dmin, scales[12], [qh[32] for Q5_K], qs[128].
 */
final class IkQ45K extends IkBlockCodec {
    static final IkQ45K Q4_K = new IkQ45K(GgmlType.Q4_K, 15, -1.0f, 0.1f, 20);
    static final IkQ45K Q5_K = new IkQ45K(GgmlType.Q5_K, 31, -0.5f, 0.1f, 15);

    private static final int D = 0, DMIN = 2, SCALES = 4, QH = 16;

    private final int nmax;
    private final boolean fiveBit;
    private final float refRmin, refRdelta;
    private final int refNstep;
    private final int qsOff, size;

    private IkQ45K(GgmlType type, int nmax, float refRmin, float refRdelta, int refNstep) {
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
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
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
            int xj = xb + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) sumX2 += x[xj + l] * x[xj + l];   // vectorized: not fused
            float avX = sqrtf(sumX2 * 0.03125f);
            for (int l = 0; l < 32; ++l) weights[l] = avX + Math.abs(x[xj + l]);
            scales[j] = IkQkxQuants.makeQkx2(32, nmax, x, xj, weights, L, 32 * j, mins, j, lAux,
                    refRmin, refRdelta, refNstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; ++j) {
            ls[j] = (byte) Math.min(63, nearestIntFma(invScale, scales[j]) & 0xFF);
            lm[j] = (byte) Math.min(63, nearestIntFma(invMin, mins[j]) & 0xFF);
        }
        putHalf(out, o + D, maxScale / 63.f);
        putHalf(out, o + DMIN, maxMin / 63.f);
    }

    private void quantizeWeighted(float[] x, int xb, float[] qw, int qwOff, byte[] out, int o, byte[] L, byte[] lAux,
                                  float[] weights, float[] mins, float[] scales, float[] sw, byte[] ls, byte[] lm) {
        float sumX2 = 0;
        for (int l = 0; l < QK_K; ++l) sumX2 += x[xb + l] * x[xb + l];      // vectorized: not fused
        float sigma2 = (sumX2 * 2.0f) * 0.00390625f;
        for (int j = 0; j < 8; ++j) {
            int xj = xb + 32 * j;
            for (int l = 0; l < 32; ++l) {
                float xv = x[xj + l];
                weights[l] = qw[qwOff + 32 * j + l] * sqrtf(Math.fma(xv, xv, sigma2));
            }
            float sumw = 0;
            for (int l = 0; l < 32; ++l) sumw += weights[l];
            sw[j] = sumw;
            scales[j] = IkQkxQuants.makeQkx3(32, nmax, x, xj, weights, 0, L, 32 * j, mins, j, lAux,
                    -0.9f, 0.05f, 36);
        }
        float dBlock = IkQkxQuants.makeQp(8, 63, scales, ls, sw);
        float mBlock = IkQkxQuants.makeQp(8, 63, mins, lm, sw);
        if (fiveBit) { // quantize_row_q5_K_impl clamps with MIN(63, ·); the Q4_K one does not
            for (int j = 0; j < 8; ++j) {
                ls[j] = (byte) Math.min(63, ls[j] & 0xFF);
                lm[j] = (byte) Math.min(63, lm[j] & 0xFF);
            }
        }
        putHalf(out, o + D, dBlock);
        putHalf(out, o + DMIN, mBlock);
    }
}
