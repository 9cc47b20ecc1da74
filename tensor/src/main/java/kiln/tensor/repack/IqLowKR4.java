package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * ik's IQ2_K → IQ2_K_R4 and IQ3_K → IQ3_K_R4 ({@code repack_iq2_k}, {@code repack_iq3_k}).
 * <ul>
 *   <li>IQ2_K (76 B): {@code fp16 d; u16 extra; u8 scales[8]; u8 qs[64]} → R4 (304 B):
 *       {@code fp16 d[4]; u8 extra[8]; u8 scales[32]; u8 qs[256]}.</li>
 *   <li>IQ3_K (110 B): {@code fp16 d; u16 extra; u16 scales_h; u8 scales_l[8]; u8 qs[64]; u8 qh[32]} → R4 (440 B):
 *       {@code fp16 d[4]; u8 extra[8]; u8 scales_h[8]; u8 scales_l[32]; u8 qs[256]; u8 qh[128]}.</li>
 * </ul>
 * Element e of 32-block ib: 2 low bits at shift {@code 2(ib%4)} of {@code qs[32(ib/4) + e]}, IQ3's third bit = bit ib
 * of {@code qh[e]}. Each 16-element half h has a 4-bit scale (nibble h of {@code scales[ib]}; IQ3: plus a sign bit,
 * bit {@code 2ib+h} of {@code scales_h}) and a table-select bit (bit {@code 2ib+h} of {@code extra}). R4 slot
 * {@code s = 8ib + k + 4h}: nibble → {@code scales[s%32]} nibble {@code s/32}; IQ3 sign → {@code scales_h[s%8]} bit
 * {@code s/8}; extra → {@code extra[k + 4h]} bit ib. Quants in N2 order, third bits in H1 order (spec §2.3).
 * Value: IQ2 {@code d·(nibble−8)·iq2nl[4·extra + L]}, IQ3 {@code d·((2·nibble+1)·±1)·iq3nl[8·extra + L]}.
 */
final class IqLowKR4 extends BlockInterleaver {
    static final byte[] IQ2NL = {-31, -13, 1, 17, -26, -8, 6, 22};
    static final byte[] IQ3NL = {-63, -40, -23, -10, 1, 13, 28, 47, -59, -36, -19, -6, 5, 17, 32, 51};

    private final boolean three;
    // base offsets
    private final int bScales;
    private final int bQs;
    // packed offsets
    private final int pScales;
    private final int pQs;

    private IqLowKR4(GgmlType packed, GgmlType base, boolean three) {
        super(packed, base, 256, three ? 110 : 76, three ? 440 : 304);
        this.three = three;
        this.bScales = three ? 6 : 4;
        this.bQs = three ? 14 : 12;
        this.pScales = three ? 24 : 16;
        this.pQs = three ? 56 : 48;
    }

    static IqLowKR4 iq2() {
        return new IqLowKR4(GgmlType.IQ2_K_R4, GgmlType.IQ2_K, false);
    }

    static IqLowKR4 iq3() {
        return new IqLowKR4(GgmlType.IQ3_K_R4, GgmlType.IQ3_K, true);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        Arrays.fill(y, yo + 8, yo + pQs, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            int extra = u8(x, r + 2) | u8(x, r + 3) << 8;
            int signs = three ? u8(x, r + 4) | u8(x, r + 5) << 8 : 0;
            for (int ib = 0; ib < 8; ib++) {
                int sl = u8(x, r + bScales + ib);
                for (int h = 0; h < 2; h++) {
                    int bit = 2 * ib + h;
                    int s = 8 * ib + k + 4 * h;
                    if ((extra >> bit & 1) != 0) y[yo + 8 + k + 4 * h] |= (byte) (1 << ib);
                    y[yo + pScales + s % 32] |= (byte) ((sl >> 4 * h & 0xF) << 4 * (s / 32));
                    if (three && (signs >> bit & 1) != 0) y[yo + 16 + s % 8] |= (byte) (1 << (s / 8));
                }
                int q0 = r + bQs + 32 * (ib / 4), sh = 2 * (ib % 4);
                int w0 = 0, w1 = 0;
                for (int b = 0; b < 4; b++) {
                    w0 |= (getInt(x, q0 + 4 * b) >>> sh & 0x03030303) << 2 * b;
                    w1 |= (getInt(x, q0 + 16 + 4 * b) >>> sh & 0x03030303) << 2 * b;
                }
                int p = yo + pQs + 32 * ib + 4 * k;
                putInt(y, p, w0);
                putInt(y, p + 16, w1);
                if (three) {
                    int hb = 0;
                    for (int b = 0; b < 8; b++) hb |= (getInt(x, r + 78 + 4 * b) >>> ib & 0x01010101) << b;
                    putInt(y, yo + 312 + 16 * ib + 4 * k, hb);
                }
            }
        }
    }

    private int slotScale(byte[] y, int yo, int s) {
        return (u8(y, yo + pScales + s % 32) >> 4 * (s / 32)) & 0xF;
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            Arrays.fill(x, r + 2, r + baseBlockBytes, (byte) 0);
            int extra = 0, signs = 0;
            for (int ib = 0; ib < 8; ib++) {
                for (int h = 0; h < 2; h++) {
                    int bit = 2 * ib + h;
                    int s = 8 * ib + k + 4 * h;
                    extra |= (u8(y, yo + 8 + k + 4 * h) >> ib & 1) << bit;
                    if (three) signs |= (u8(y, yo + 16 + s % 8) >> (s / 8) & 1) << bit;
                    x[r + bScales + ib] |= (byte) (slotScale(y, yo, s) << 4 * h);
                }
                int q0 = r + bQs + 32 * (ib / 4), sh = 2 * (ib % 4);
                int p = yo + pQs + 32 * ib + 4 * k;
                int w0 = getInt(y, p), w1 = getInt(y, p + 16);
                for (int b = 0; b < 4; b++) {
                    putInt(x, q0 + 4 * b, getInt(x, q0 + 4 * b) | (w0 >>> 2 * b & 0x03030303) << sh);
                    putInt(x, q0 + 16 + 4 * b, getInt(x, q0 + 16 + 4 * b) | (w1 >>> 2 * b & 0x03030303) << sh);
                }
                if (three) {
                    int hb = getInt(y, yo + 312 + 16 * ib + 4 * k);
                    for (int b = 0; b < 8; b++) {
                        int o = r + 78 + 4 * b;
                        putInt(x, o, getInt(x, o) | (hb >>> b & 0x01010101) << ib);
                    }
                }
            }
            x[r + 2] = (byte) extra;
            x[r + 3] = (byte) (extra >> 8);
            if (three) {
                x[r + 4] = (byte) signs;
                x[r + 5] = (byte) (signs >> 8);
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                int p = yo + pQs + 32 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int q0 = u8(y, p + i), q1 = u8(y, p + i + 16);
                    int hb = three ? u8(y, yo + 312 + 16 * ib + 4 * k + i) : 0;
                    for (int b = 0; b < 4; b++) {
                        L[i + 4 * b] = (q0 >> 2 * b & 3) | (hb >> b & 1) << 2;
                        L[i + 16 + 4 * b] = (q1 >> 2 * b & 3) | (hb >> (b + 4) & 1) << 2;
                    }
                }
                for (int h = 0; h < 2; h++) {
                    int s = 8 * ib + k + 4 * h;
                    int ex = u8(y, yo + 8 + k + 4 * h) >> ib & 1;
                    float dl;
                    if (three) {
                        int sign = u8(y, yo + 16 + s % 8) >> (s / 8) & 1;
                        dl = d * ((2 * slotScale(y, yo, s) + 1) * (sign != 0 ? -1 : 1));
                    } else {
                        dl = d * (slotScale(y, yo, s) - 8);
                    }
                    for (int j = 0; j < 16; j++) {
                        int v = L[16 * h + j];
                        out[o + 32 * ib + 16 * h + j] = dl * (three ? IQ3NL[8 * ex + v] : IQ2NL[4 * ex + v]);
                    }
                }
            }
        }
    }
}
