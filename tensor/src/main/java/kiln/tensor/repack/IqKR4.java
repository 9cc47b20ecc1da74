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
 * Quants: {@link IqKQuants}.
 * Value {@code d·(scale−32)·table[L]}, table = {@code iq4k_values + 16·extra} / {@code iq5nl_values + 32·extra}.
 */
final class IqKR4 extends BlockInterleaver {
    static final byte[] IQ4K = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -123, -100, -79, -61, -45, -31, -18, -6, 5, 17, 29, 42, 57, 73, 93, 117};
    static final byte[] IQ5NL = {-126, -114, -103, -92, -83, -74, -65, -57, -50, -43, -36, -30, -24, -18, -12, -6, -1, 5, 11,
        17, 23, 29, 36, 43, 51, 59, 68, 77, 87, 97, 109, 121,
        -124, -112, -101, -90, -81, -72, -63, -55, -48, -41, -34, -28, -22, -16, -10, -4, 1, 7, 13, 19, 25, 31, 38, 45,
        53, 61, 70, 79, 89, 99, 111, 123};

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
            }
            IqKQuants.pack(five, x, r + 16, r + 144, y, yo + 64, yo + 576, k);
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
            IqKQuants.unpack(five, y, yo + 64, yo + 576, x, r + 16, r + 144, k);
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                IqKQuants.values(five, y, yo + 64, yo + 576, k, ib, L);
                for (int h = 0; h < 2; h++) {
                    float dl = d * (slotScale(y, yo, 8 * ib + k + 4 * h) - 32);
                    int ex = u8(y, yo + 8 + k + 4 * h) >> ib & 1;
                    for (int j = 0; j < 16; j++) {
                        int v = L[16 * h + j];
                        out[o + 32 * ib + 16 * h + j] = dl * IqKQuants.value(five, ex, v);
                    }
                }
            }
        }
    }
}
