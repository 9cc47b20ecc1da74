package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * Q4_K → Q4_K_R4 and Q5_K → Q5_K_R4 ({@code repack_q4_k}, {@code repack_q5_k}). Interleaved block:
 * {@code fp16 d[8]} (d of rows 0..3, then dmin of rows 0..3), {@code scales_h[16]}, {@code scales_l[32]},
 * [Q5: {@code qh[128]}], {@code qs[512]}. For 32-block ib of row k, slot {@code s = 4ib + k}:
 * {@code scales_l[s] = (sc&15) | (m&15)<<4}, {@code scales_h[s%16]} nibble {@code s/16} = {@code sc>>4 | (m>>4)<<2}.
 * Quants: N4 order on the low 4 bits (spec §2.3); Q5's 5th bits in {@code qh[16ib + 4k + i]}, bits 0..7 = elements
 * {@code i, i+8, i+4, i+12, i+16, i+24, i+20, i+28}. Value {@code (d·sc)·q − dmin·m}.
 */
final class KQuantR4 extends BlockInterleaver {
    /** Element offset of 5th-bit pair b/2 (Q5_K_R4 order). */
    private static final int[] H5 = {0, 4, 16, 20};

    private final boolean five;
    private final int baseQs;
    private final int packedQs;

    private KQuantR4(GgmlType packed, GgmlType base, boolean five) {
        super(packed, base, 256, five ? 176 : 144, five ? 704 : 576);
        this.five = five;
        this.baseQs = five ? 48 : 16;
        this.packedQs = five ? 192 : 64;
    }

    static KQuantR4 q4() {
        return new KQuantR4(GgmlType.Q4_K_R4, GgmlType.Q4_K, false);
    }

    static KQuantR4 q5() {
        return new KQuantR4(GgmlType.Q5_K_R4, GgmlType.Q5_K, true);
    }

    /** The 256 quant values of row k of an interleaved block. */
    private void values(byte[] y, int yo, int k, int[] L) {
        for (int ib = 0; ib < 8; ib++) {
            N4.values(y, yo + packedQs + 64 * ib + 4 * k, L, 32 * ib);
            if (five) {
                int h = yo + 64 + 16 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int hb = u8(y, h + i);
                    for (int b = 0; b < 8; b++) L[32 * ib + i + H5[b >> 1] + 8 * (b & 1)] |= ((hb >> b) & 1) << 4;
                }
            }
        }
    }

    private static int slotScale(byte[] y, int yo, int s, boolean min) {
        int l = u8(y, yo + 32 + s);
        int h = (u8(y, yo + 16 + s % 16) >> 4 * (s / 16)) & 0xF;
        return min ? (l >> 4) | (h >> 2) << 4 : (l & 0xF) | (h & 3) << 4;
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        int[] sc = new int[8];
        int[] mn = new int[8];
        Arrays.fill(y, yo + 16, yo + 32, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            copy2(x, r + 2, y, yo + 2 * (k + 4));
            KScales.unpack(x, r + 4, sc, mn);
            for (int ib = 0; ib < 8; ib++) {
                int s = 4 * ib + k;
                y[yo + 32 + s] = (byte) ((sc[ib] & 0xF) | (mn[ib] & 0xF) << 4);
                y[yo + 16 + s % 16] |= (byte) (((sc[ib] >> 4) | (mn[ib] >> 4) << 2) << 4 * (s / 16));
                // 32-block ib: element e is nibble (ib & 1) of base qs[32(ib/2) + e]
                N4.pack(x, r + baseQs + 32 * (ib >> 1), (ib & 1) != 0, y, yo + packedQs + 64 * ib + 4 * k);
                if (five) {
                    int hb = 0;
                    for (int b = 0; b < 8; b++) hb |= (getInt(x, r + 16 + H5[b >> 1] + 8 * (b & 1)) >>> ib & 0x01010101) << b;
                    putInt(y, yo + 64 + 16 * ib + 4 * k, hb);
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            copy2(y, yo + 2 * (k + 4), x, r + 2);
            for (int ib = 0; ib < 8; ib++) {
                sc[ib] = slotScale(y, yo, 4 * ib + k, false);
                mn[ib] = slotScale(y, yo, 4 * ib + k, true);
            }
            KScales.pack(sc, mn, x, r + 4);
            for (int c = 0; c < 4; c++) {
                int p0 = yo + packedQs + 128 * c + 4 * k;
                N4.unpack(y, p0, p0 + 64, x, r + baseQs + 32 * c);
            }
            if (five) {
                Arrays.fill(x, r + 16, r + 48, (byte) 0);
                for (int ib = 0; ib < 8; ib++) {
                    int hb = getInt(y, yo + 64 + 16 * ib + 4 * k);
                    for (int b = 0; b < 8; b++) {
                        int o = r + 16 + H5[b >> 1] + 8 * (b & 1);
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
            float dmin = f16(y, yo + 2 * (k + 4));
            values(y, yo, k, L);
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                float d1 = d * slotScale(y, yo, 4 * ib + k, false);
                float m1 = dmin * slotScale(y, yo, 4 * ib + k, true);
                for (int j = 0; j < 32; j++) out[o + 32 * ib + j] = d1 * L[32 * ib + j] - m1;
            }
        }
    }
}
