package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ4_KS (4.25 bpw) and IQ5_KS (5.25 bpw), ik-only types with one float scale per row: {@code quantize_iq4_ks} /
 * {@code quantize_row_iq4_k_impl_bs128}, {@code quantize_iq5_ks} / {@code quantize_row_iq5_ks_impl} and their
 * {@code dequantize_row_*} ({@code iqk/iqk_quantize.cpp}). Row: d (f32), then per 256 values scales[8] (bit 0: the
 * block of 32 uses the shifted table; bits 1..7: scale + 127), qs[128] (4 low bits) [IQ5_KS: qh[32], 5th bits].
 * The block scales are searched as IQ4_K's / IQ5_K's ({@link IqkSearch}, blocks of 32, no refit) and quantized
 * against the row's largest.
 */
final class IkIqKs extends IkBlockCodec {
    static final IkIqKs IQ4_KS = new IkIqKs(GgmlType.IQ4_KS, IkIq4K.LEVELS, 7);
    static final IkIqKs IQ5_KS = new IkIqKs(GgmlType.IQ5_KS, IkIq5K.LEVELS, 5);

    private static final int ROW_D = 4, SCALES = 0, QS = 8, QH = 136;

    private final IqkSearch search;
    private final boolean five;
    private final int size;

    private IkIqKs(GgmlType type, IqkLevels levels, int ntry) {
        super(type);
        this.search = new IqkSearch(levels, 32, ntry, 1, false, false, true, false);
        this.five = levels.count == 32;
        this.size = type.typeSize();
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 32);
        int nbl = n / QK_K;
        float[] scales = new float[8 * nbl];
        IqkSearch.Scratch sc = new IqkSearch.Scratch();
        float amax = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int o = ROW_D + ibl * size, xb = xOff + ibl * QK_K;
            search.searchBlocks(x, xb, w, ibl * QK_K, sigma2(x, xb), sc);
            System.arraycopy(sc.scales, 0, scales, 8 * ibl, 8);
            for (int ib = 0; ib < 8; ++ib) if ((sc.extra & (1 << ib)) != 0) out[o + SCALES + ib] = 1;
            amax = Math.max(amax, Math.abs(sc.maxScale));
        }
        float d = amax / 127;
        putFloat(out, 0, d);
        if (d == 0) return;
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        float[] weight = sc.weight;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int o = ROW_D + ibl * size, xb = xOff + ibl * QK_K;
            float sigma2 = sigma2(x, xb);
            for (int ib = 0; ib < 8; ++ib) {
                int table = out[o + SCALES + ib] & 1;
                int l = Math.max(0, Math.min(127, nearestIntFma(0.5f, Math.fma(id, scales[8 * ibl + ib], 127.f)))) << 1;
                out[o + SCALES + ib] |= (byte) l;
                l -= 127;
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xo = xb + 32 * ib;
                search.blockWeights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                IqkLevels lv = search.levels();
                if (!five) {
                    int qs = o + QS + 16 * ib;
                    for (int j = 0; j < 16; ++j) {
                        int i1 = lv.bestIndex(table, idl * x[xo + j]), i2 = lv.bestIndex(table, idl * x[xo + j + 16]);
                        out[qs + j] = (byte) (i1 | (i2 << 4));
                        float q1 = lv.value(table, i1) * l, q2 = lv.value(table, i2) * l;
                        float wq1 = weight[j] * q1, wq2 = weight[j + 16] * q2;
                        sumqx += Math.fma(wq1, x[xo + j], wq2 * x[xo + j + 16]);
                        sumq2 += Math.fma(wq1, q1, wq2 * q2);
                    }
                } else {
                    int qs = o + QS + 32 * (ib / 2), qh = o + QH;
                    for (int j = 0; j < 32; ++j) {
                        int idx = lv.bestIndex(table, idl * x[xo + j]);
                        out[qs + j] |= (byte) ((idx & 0xf) << 4 * (ib % 2));
                        out[qh + j] |= (byte) ((idx >> 4) << ib);
                        float q = lv.value(table, idx) * l;
                        float wq = weight[j] * q;
                        sumqx = Math.fma(wq, x[xo + j], sumqx);
                        sumq2 = Math.fma(wq, q, sumq2);
                    }
                }
            }
        }
        if (sumq2 > 0) putFloat(out, 0, sumqx / sumq2);
    }

    /** 2·Σx²/256 over a super-block. */
    private static float sigma2(float[] x, int xb) {
        return IqkSearch.sumSquares(x, xb) * 0.0078125f;
    }

    /** {@code dequantize_row_iq4_ks} / {@code dequantize_row_iq5_ks}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException(type().ggmlName() + " works on whole rows of blocks of 256 values; got " + n);
        }
        float d = src.get(ValueLayout.JAVA_FLOAT_UNALIGNED, srcOffset);
        IqkLevels lv = search.levels();
        byte[] b = new byte[size];
        for (int ibl = 0; ibl < n / QK_K; ++ibl) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + ROW_D + (long) ibl * size, b, 0, size);
            int yb = yOff + ibl * QK_K;
            for (int ib = 0; ib < 8; ++ib) {
                int sc = b[SCALES + ib] & 0xFF;
                float dl = d * ((sc & 254) - 127);
                int table = sc & 1;
                for (int j = 0; j < 32; ++j) {
                    int v;
                    if (!five) {
                        int q = b[QS + 16 * ib + j % 16] & 0xFF;
                        v = j < 16 ? q & 0xf : q >> 4;
                    } else {
                        int q = b[QS + 32 * (ib / 2) + j] & 0xFF;
                        v = ((ib % 2 == 0 ? q & 0xf : q >> 4)) | ((((b[QH + j] & 0xFF) >> ib) & 1) << 4);
                    }
                    y[yb + 32 * ib + j] = dl * lv.value(table, v);
                }
            }
        }
    }
}
