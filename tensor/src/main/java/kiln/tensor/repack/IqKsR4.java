package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * ik's IQ4_KS → IQ4_KS_R4 and IQ5_KS → IQ5_KS_R4 ({@code repack_iq4_ks}, {@code repack_iq5_ks}). These types carry a
 * float scale per row (row metadata): a base row is {@code float d} then blocks {@code u8 scales[8]; u8 qs[128]}
 * [IQ5: {@code u8 qh[32]}]; a group is the 4 rows' {@code float d[4]} then blocks {@code u8 scales[32]; u8 qs[512]}
 * [IQ5: {@code u8 qh[128]}]. {@code scales[4ib + k] = row_k.scales[ib]} (byte unchanged: bit 0 selects the table, the
 * rest is the scale); quants as IQ4_K_R4 / IQ5_K_R4 (IQ5 5th bits in the order {@code i, i+8, i+16, i+24, i+4, i+12,
 * i+20, i+28}). Value {@code d·((sc & 254) − 127)·table[L]}, table = {@code iq4k_values + 16·(sc&1)} /
 * {@code iq5nl_values + 32·(sc&1)}.
 */
final class IqKsR4 extends BlockInterleaver {
    private static final int[] H5 = {0, 8, 16, 24, 4, 12, 20, 28};

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
            for (int ib = 0; ib < 8; ib++) {
                y[yo + 4 * ib + k] = x[r + ib];
                int p = yo + 32 + 64 * ib + 4 * k;
                if (!five) {
                    int q = r + 8 + 16 * ib;
                    int a = getInt(x, q), b = getInt(x, q + 8), c = getInt(x, q + 4), e = getInt(x, q + 12);
                    putInt(y, p, lowNibbles(a, b));
                    putInt(y, p + 16, highNibbles(a, b));
                    putInt(y, p + 32, lowNibbles(c, e));
                    putInt(y, p + 48, highNibbles(c, e));
                } else {
                    int q = r + 8 + 32 * (ib >> 1);
                    boolean high = (ib & 1) != 0;
                    for (int m = 0; m < 4; m++) {
                        int a = getInt(x, q + KQuantR4.N4[m]), b = getInt(x, q + KQuantR4.N4[m] + 8);
                        putInt(y, p + 16 * m, high ? highNibbles(a, b) : lowNibbles(a, b));
                    }
                    int hb = 0;
                    for (int b = 0; b < 8; b++) hb |= (getInt(x, r + 136 + H5[b]) >>> ib & 0x01010101) << b;
                    putInt(y, yo + 544 + 16 * ib + 4 * k, hb);
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            for (int ib = 0; ib < 8; ib++) x[r + ib] = y[yo + 4 * ib + k];
            if (!five) {
                for (int ib = 0; ib < 8; ib++) {
                    int p = yo + 32 + 64 * ib + 4 * k, q = r + 8 + 16 * ib;
                    int s0 = getInt(y, p), s1 = getInt(y, p + 16), s2 = getInt(y, p + 32), s3 = getInt(y, p + 48);
                    putInt(x, q, lowNibbles(s0, s1));
                    putInt(x, q + 8, highNibbles(s0, s1));
                    putInt(x, q + 4, lowNibbles(s2, s3));
                    putInt(x, q + 12, highNibbles(s2, s3));
                }
            } else {
                for (int c = 0; c < 4; c++) {
                    int q = r + 8 + 32 * c;
                    int p0 = yo + 32 + 128 * c + 4 * k, p1 = p0 + 64;
                    for (int m = 0; m < 4; m++) {
                        int lo = getInt(y, p0 + 16 * m), hi = getInt(y, p1 + 16 * m);
                        putInt(x, q + KQuantR4.N4[m], lowNibbles(lo, hi));
                        putInt(x, q + KQuantR4.N4[m] + 8, highNibbles(lo, hi));
                    }
                }
                Arrays.fill(x, r + 136, r + 168, (byte) 0);
                for (int ib = 0; ib < 8; ib++) {
                    int hb = getInt(y, yo + 544 + 16 * ib + 4 * k);
                    for (int b = 0; b < 8; b++) {
                        int o = r + 136 + H5[b];
                        putInt(x, o, getInt(x, o) | (hb >>> b & 0x01010101) << ib);
                    }
                }
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f32(y, 4 * k); // the group's row scales are at the start of the group array
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                int p = yo + 32 + 64 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    for (int m = 0; m < 4; m++) {
                        int q = u8(y, p + i + 16 * m);
                        L[i + KQuantR4.N4[m]] = q & 0xF;
                        L[i + KQuantR4.N4[m] + 8] = q >> 4;
                    }
                    if (five) {
                        int hb = u8(y, yo + 544 + 16 * ib + 4 * k + i);
                        for (int b = 0; b < 8; b++) L[i + H5[b]] |= (hb >> b & 1) << 4;
                    }
                }
                int sc = u8(y, yo + 4 * ib + k);
                float dl = d * ((sc & 254) - 127);
                for (int j = 0; j < 32; j++) {
                    out[o + 32 * ib + j] = dl * (five ? IqKR4.IQ5NL[32 * (sc & 1) + L[j]] : IqKR4.IQ4K[16 * (sc & 1) + L[j]]);
                }
            }
        }
    }
}
