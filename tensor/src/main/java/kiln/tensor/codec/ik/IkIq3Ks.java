package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ3_KS (3.1875 bpw), an ik-only type with one fp16 scale per row: {@code quantize_iq3_ks} /
 * {@code quantize_row_iq3_ks_impl} and {@code dequantize_row_iq3_ks} ({@code iqk/iqk_quantize.cpp}). Row: d (fp16),
 * then per 256 values extra (u16: bits 0..7 the 5th bit of each block's scale, bits 8..15 the shifted table),
 * scales[4] (low 4 bits, blocks ib and ib+4), qs[64] (2 low bits), qh[32] (3rd bit); blocks of 32 with IQ3_K's levels,
 * searched as IQ3_K's ({@link IqkSearch}, no refit), scales in −16…15 against the row's largest.
 */
final class IkIq3Ks extends IkBlockCodec {
    static final IkIq3Ks INSTANCE = new IkIq3Ks();

    private static final int ROW_D = 2, EXTRA = 0, SCALES = 2, QS = 6, QH = 70, SIZE = 102;
    private static final IqkSearch SEARCH = new IqkSearch(IkIq3K.LEVELS, 32, 5, 1, true, false, true, false);

    private IkIq3Ks() {
        super(GgmlType.IQ3_KS);
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 32);
        int nbl = n / QK_K;
        float[] scales = new float[8 * nbl];
        int[] extra = new int[nbl];
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        float amax = 0, maxScale = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xb = xOff + ibl * QK_K;
            SEARCH.searchBlocks(x, xb, w, ibl * QK_K, sigma2(x, xb), sc);
            System.arraycopy(sc.scales, 0, scales, 8 * ibl, 8);
            extra[ibl] = sc.extra << 8;
            put16(out, ROW_D + ibl * SIZE + EXTRA, extra[ibl]);
            if (Math.abs(sc.maxScale) > amax) { amax = Math.abs(sc.maxScale); maxScale = sc.maxScale; }
        }
        float d = -maxScale / 16;
        putHalf(out, 0, d);
        if (d == 0) return;
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        float[] weight = sc.weight;
        IqkLevels lv = SEARCH.levels();
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int o = ROW_D + ibl * SIZE, xb = xOff + ibl * QK_K;
            float sigma2 = sigma2(x, xb);
            for (int ib = 0; ib < 8; ++ib) {
                int table = (extra[ibl] >> (8 + ib)) & 1;
                int l = Math.max(-16, Math.min(15, nearestIntFma(id, scales[8 * ibl + ib])));
                int ul = l + 16;
                out[o + SCALES + ib % 4] |= (byte) ((ul & 0xf) << 4 * (ib / 4));
                extra[ibl] |= (ul >> 4) << ib;
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xo = xb + 32 * ib;
                SEARCH.blockWeights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                int qs = o + QS + (ib / 4) * 32, qh = o + QH;
                for (int j = 0; j < 32; ++j) {
                    int i = lv.bestIndex(table, idl * x[xo + j]);
                    out[qs + j] |= (byte) ((i & 3) << 2 * (ib % 4));
                    out[qh + j] |= (byte) ((i >> 2) << (ib % 8));
                    float q = lv.value(table, i) * l;
                    float wq = weight[j] * q;
                    sumqx = Math.fma(wq, x[xo + j], sumqx);
                    sumq2 = Math.fma(wq, q, sumq2);
                }
            }
            put16(out, o + EXTRA, extra[ibl]);
        }
        if (sumq2 > 0) putHalf(out, 0, sumqx / sumq2);
    }

    /** 2·Σx²/256 over a super-block. */
    private static float sigma2(float[] x, int xb) {
        return IqkSearch.sumSquares(x, xb) * 0.0078125f;
    }

    /** {@code dequantize_row_iq3_ks}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException("iq3_ks works on whole rows of blocks of 256 values; got " + n);
        }
        float d = Fp16.halfToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, srcOffset));
        byte[] b = new byte[SIZE];
        float[] dl = new float[8];
        for (int ibl = 0; ibl < n / QK_K; ++ibl) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + ROW_D + (long) ibl * SIZE, b, 0, SIZE);
            int extra = (b[EXTRA] & 0xFF) | ((b[EXTRA + 1] & 0xFF) << 8);
            for (int j = 0; j < 4; ++j) {
                int s = b[SCALES + j] & 0xFF;
                dl[j] = d * (((s & 0xf) | (((extra >> j) & 1) << 4)) - 16);
                dl[j + 4] = d * (((s >> 4) | (((extra >> (j + 4)) & 1) << 4)) - 16);
            }
            int yb = yOff + ibl * QK_K;
            for (int ib = 0; ib < 8; ++ib) {
                int table = (extra >> (8 + ib)) & 1, qs = QS + 32 * (ib / 4);
                for (int j = 0; j < 32; ++j) {
                    int v = (((b[qs + j] & 0xFF) >> 2 * (ib % 4)) & 3) | ((((b[QH + j] & 0xFF) >> ib) & 1) << 2);
                    y[yb + 32 * ib + j] = dl[ib] * IkIq3K.VALUES[8 * table + v];
                }
            }
        }
    }
}
