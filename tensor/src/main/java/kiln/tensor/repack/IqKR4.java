package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * ik's IQ4_K → IQ4_K_R4 and IQ5_K → IQ5_K_R4 ({@code repack_iq4_k}, {@code repack_iq5_k}). Base block:
 * {@code fp16 d; u16 extra; u8 scales_h[4]; u8 scales_l[8]; u8 qs[128]} [IQ5: {@code u8 qh[32]}]. Interleaved block:
 * {@code fp16 d[4]; u8 extra[8]; u8 scales_h[16]; u8 scales_l[32]; u8 qs[512]} [IQ5: {@code u8 qh[128]}].
 * Each 32-block ib has two 16-element halves with their own 6-bit scale and table-select bit: base scale of half h
 * = {@code scales_l[ib]} nibble h | bits {@code 2h..2h+1} of nibble {@code ib%2} of {@code scales_h[ib/2]} (high 2
 * bits), extra bit {@code 2ib+h}. R4 slot {@code s = 8ib + k + 4h}: low nibble → {@code scales_l[s%32]} nibble
 * {@code s/32}, high bits → {@code scales_h[s%16]} bits {@code 2(s/16)}; extra bit → {@code extra[k + 4h]} bit ib.
 * Quants: IQ4 in N4 order on the raw 16-byte block (as IQ4_NL_R4); IQ5 in N4 order on the low 4 bits (as Q5_K_R4) with
 * 5th bits in {@code qh[16ib + 4k + i]}, bits 0..7 = elements {@code i, i+8, i+16, i+24, i+4, i+12, i+20, i+28}.
 * Value {@code d·(scale−32)·table[L]}, table = {@code iq4k_values + 16·extra} / {@code iq5nl_values + 32·extra}.
 */
final class IqKR4 extends BlockInterleaver {
    static final byte[] IQ4K = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -123, -100, -79, -61, -45, -31, -18, -6, 5, 17, 29, 42, 57, 73, 93, 117};
    static final byte[] IQ5NL = {-126, -114, -103, -92, -83, -74, -65, -57, -50, -43, -36, -30, -24, -18, -12, -6, -1, 5, 11,
        17, 23, 29, 36, 43, 51, 59, 68, 77, 87, 97, 109, 121,
        -124, -112, -101, -90, -81, -72, -63, -55, -48, -41, -34, -28, -22, -16, -10, -4, 1, 7, 13, 19, 25, 31, 38, 45,
        53, 61, 70, 79, 89, 99, 111, 123};
    /** Element offset (added to i) of 5th-bit b in the IQ5_K_R4 order. */
    private static final int[] H5 = {0, 8, 16, 24, 4, 12, 20, 28};

    private final boolean five;

    private IqKR4(GgmlType packed, GgmlType base, boolean five) {
        super(packed, base, 256, five ? 176 : 144, five ? 704 : 576);
        this.five = five;
    }

    static IqKR4 iq4() {
        return new IqKR4(GgmlType.IQ4_K_R4, GgmlType.IQ4_K, false);
    }

    static IqKR4 iq5() {
        return new IqKR4(GgmlType.IQ5_K_R4, GgmlType.IQ5_K, true);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        Arrays.fill(y, yo + 8, yo + 64, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            int extra = u8(x, r + 2) | u8(x, r + 3) << 8;
            for (int ib = 0; ib < 8; ib++) {
                int sh = u8(x, r + 4 + ib / 2) >> 4 * (ib % 2);
                int sl = u8(x, r + 8 + ib);
                for (int h = 0; h < 2; h++) {
                    if ((extra >> (2 * ib + h) & 1) != 0) y[yo + 8 + k + 4 * h] |= (byte) (1 << ib);
                    int s = 8 * ib + k + 4 * h;
                    y[yo + 32 + s % 32] |= (byte) ((sl >> 4 * h & 0xF) << 4 * (s / 32));
                    y[yo + 16 + s % 16] |= (byte) ((sh >> 2 * h & 3) << 2 * (s / 16));
                }
                int p = yo + 64 + 64 * ib + 4 * k;
                if (!five) {
                    int q = r + 16 + 16 * ib;
                    int a = getInt(x, q), b = getInt(x, q + 8), c = getInt(x, q + 4), e = getInt(x, q + 12);
                    putInt(y, p, lowNibbles(a, b));
                    putInt(y, p + 16, highNibbles(a, b));
                    putInt(y, p + 32, lowNibbles(c, e));
                    putInt(y, p + 48, highNibbles(c, e));
                } else {
                    int q = r + 16 + 32 * (ib >> 1);
                    boolean high = (ib & 1) != 0;
                    for (int m = 0; m < 4; m++) {
                        int a = getInt(x, q + KQuantR4.N4[m]), b = getInt(x, q + KQuantR4.N4[m] + 8);
                        putInt(y, p + 16 * m, high ? highNibbles(a, b) : lowNibbles(a, b));
                    }
                    int hb = 0;
                    for (int b = 0; b < 8; b++) hb |= (getInt(x, r + 144 + H5[b]) >>> ib & 0x01010101) << b;
                    putInt(y, yo + 576 + 16 * ib + 4 * k, hb);
                }
            }
        }
    }

    private static int slotScale(byte[] y, int yo, int s) {
        return ((u8(y, yo + 32 + s % 32) >> 4 * (s / 32)) & 0xF) | ((u8(y, yo + 16 + s % 16) >> 2 * (s / 16)) & 3) << 4;
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            Arrays.fill(x, r + 2, r + 16, (byte) 0);
            int extra = 0;
            for (int ib = 0; ib < 8; ib++) {
                for (int h = 0; h < 2; h++) {
                    extra |= (u8(y, yo + 8 + k + 4 * h) >> ib & 1) << (2 * ib + h);
                    int v = slotScale(y, yo, 8 * ib + k + 4 * h);
                    x[r + 8 + ib] |= (byte) ((v & 0xF) << 4 * h);
                    x[r + 4 + ib / 2] |= (byte) ((v >> 4) << (2 * h + 4 * (ib % 2)));
                }
            }
            x[r + 2] = (byte) extra;
            x[r + 3] = (byte) (extra >> 8);
            if (!five) {
                for (int ib = 0; ib < 8; ib++) {
                    int p = yo + 64 + 64 * ib + 4 * k, q = r + 16 + 16 * ib;
                    int s0 = getInt(y, p), s1 = getInt(y, p + 16), s2 = getInt(y, p + 32), s3 = getInt(y, p + 48);
                    putInt(x, q, lowNibbles(s0, s1));
                    putInt(x, q + 8, highNibbles(s0, s1));
                    putInt(x, q + 4, lowNibbles(s2, s3));
                    putInt(x, q + 12, highNibbles(s2, s3));
                }
            } else {
                for (int c = 0; c < 4; c++) {
                    int q = r + 16 + 32 * c;
                    int p0 = yo + 64 + 128 * c + 4 * k, p1 = p0 + 64;
                    for (int m = 0; m < 4; m++) {
                        int lo = getInt(y, p0 + 16 * m), hi = getInt(y, p1 + 16 * m);
                        putInt(x, q + KQuantR4.N4[m], lowNibbles(lo, hi));
                        putInt(x, q + KQuantR4.N4[m] + 8, highNibbles(lo, hi));
                    }
                }
                Arrays.fill(x, r + 144, r + 176, (byte) 0);
                for (int ib = 0; ib < 8; ib++) {
                    int hb = getInt(y, yo + 576 + 16 * ib + 4 * k);
                    for (int b = 0; b < 8; b++) {
                        int o = r + 144 + H5[b];
                        putInt(x, o, getInt(x, o) | (hb >>> b & 0x01010101) << ib);
                    }
                }
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                int p = yo + 64 + 64 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    for (int m = 0; m < 4; m++) {
                        int q = u8(y, p + i + 16 * m);
                        L[i + KQuantR4.N4[m]] = q & 0xF;
                        L[i + KQuantR4.N4[m] + 8] = q >> 4;
                    }
                    if (five) {
                        int hb = u8(y, yo + 576 + 16 * ib + 4 * k + i);
                        for (int b = 0; b < 8; b++) L[i + H5[b]] |= (hb >> b & 1) << 4;
                    }
                }
                for (int h = 0; h < 2; h++) {
                    float dl = d * (slotScale(y, yo, 8 * ib + k + 4 * h) - 32);
                    int ex = u8(y, yo + 8 + k + 4 * h) >> ib & 1;
                    for (int j = 0; j < 16; j++) {
                        int v = L[16 * h + j];
                        out[o + 32 * ib + 16 * h + j] = dl * (five ? IQ5NL[32 * ex + v] : IQ4K[16 * ex + v]);
                    }
                }
            }
        }
    }
}
