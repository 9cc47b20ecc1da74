package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * ik's IQ4_KS → IQ4_KS_R4 and IQ5_KS → IQ5_KS_R4 ({@code repack_iq4_ks}, {@code repack_iq5_ks}). These types carry a
 * float scale per row (row metadata): a base row is {@code float d} then blocks {@code u8 scales[8]; u8 qs[128]}
 * [IQ5: {@code u8 qh[32]}]; a group is the 4 rows' {@code float d[4]} then blocks {@code u8 scales[32]; u8 qs[512]}
 * [IQ5: {@code u8 qh[128]}]. {@code scales[4ib + k] = row_k.scales[ib]} (byte unchanged: bit 0 selects the table, the
 * rest is the scale); quants as IQ4_K_R4 / IQ5_K_R4 ({@link IqKQuants}). Value {@code d·((sc & 254) − 127)·table[L]}, table = {@code iq4k_values + 16·(sc&1)} /
 * {@code iq5nl_values + 32·(sc&1)}.
 */
final class IqKsR4 extends BlockInterleaver {
    private final boolean five;

    private IqKsR4(GgmlType packed, GgmlType base, boolean five) {
        super(packed, base, 256, five ? 168 : 136, five ? 672 : 544, 4);
        this.five = five;
    }

    static IqKsR4 iq4() {
        return new IqKsR4(GgmlType.IQ4_KS_R4, GgmlType.IQ4_KS, false);
    }

    static IqKsR4 iq5() {
        return new IqKsR4(GgmlType.IQ5_KS_R4, GgmlType.IQ5_KS, true);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            for (int ib = 0; ib < 8; ib++) y[yo + 4 * ib + k] = x[r + ib];
            IqKQuants.pack(five, x, r + 8, r + 136, y, yo + 32, yo + 544, k);
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            for (int ib = 0; ib < 8; ib++) x[r + ib] = y[yo + 4 * ib + k];
            IqKQuants.unpack(five, y, yo + 32, yo + 544, x, r + 8, r + 136, k);
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f32(y, 4 * k); // the group's row scales are at the start of the group array
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                IqKQuants.values(five, y, yo + 32, yo + 544, k, ib, L);
                int sc = u8(y, yo + 4 * ib + k);
                float dl = d * ((sc & 254) - 127);
                for (int j = 0; j < 32; j++) {
                    out[o + 32 * ib + j] = dl * IqKQuants.value(five, sc & 1, L[j]);
                }
            }
        }
    }
}
