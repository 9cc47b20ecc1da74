package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * IQ4_XS → IQ4_XS_R8 ({@code repack_iq4_xs}, {@code {fp16 d[8]; u8 scales_h[16]; u8 scales_l[32]; u8 qs[1024]}}).
 * The 6-bit scale of 32-block ib of row k goes to slot {@code s = 8ib + k}: low 4 bits in {@code scales_l[s%32]} nibble
 * {@code s/32}, high 2 bits in {@code scales_h[s%16]} bits {@code 2(s/16)}. Quants: per 32-block, 128 bytes, with
 * {@code qs[128ib + 4k + i + 32m]} pairing the nibbles described in {@link #packBlock}. Value
 * {@code d·(scale−32)·kvalues_iq4nl[nibble]}.
 */
final class IQ4_XSR8 extends BlockInterleaver {
    IQ4_XSR8() {
        super(GgmlType.IQ4_XS_R8, GgmlType.IQ4_XS, 256, 136, 1088);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        java.util.Arrays.fill(y, yo + 16, yo + 64, (byte) 0);
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            int sh16 = u8(x, r + 2) | u8(x, r + 3) << 8;
            for (int ib = 0; ib < 8; ib++) {
                int sl = (u8(x, r + 4 + ib / 2) >> 4 * (ib % 2)) & 0xF;
                int sh = (sh16 >> 2 * ib) & 3;
                int s = 8 * ib + k;
                y[yo + 32 + s % 32] |= (byte) (sl << 4 * (s / 32));
                y[yo + 16 + s % 16] |= (byte) (sh << 2 * (s / 16));
                int q = r + 8 + 16 * ib;
                int p = yo + 64 + 128 * ib + 4 * k;
                int a = getInt(x, q), b = getInt(x, q + 4), c = getInt(x, q + 8), e = getInt(x, q + 12);
                putInt(y, p, lowNibbles(a, b));
                putInt(y, p + 32, lowNibbles(c, e));
                putInt(y, p + 64, highNibbles(a, b));
                putInt(y, p + 96, highNibbles(c, e));
            }
        }
    }

    private static int scale(byte[] y, int yo, int s) {
        int lo = (u8(y, yo + 32 + s % 32) >> 4 * (s / 32)) & 0xF;
        int hi = (u8(y, yo + 16 + s % 16) >> 2 * (s / 16)) & 3;
        return lo | hi << 4;
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            int sh16 = 0;
            int[] sl = new int[4];
            for (int ib = 0; ib < 8; ib++) {
                int ls = scale(y, yo, 8 * ib + k);
                sl[ib / 2] |= (ls & 0xF) << 4 * (ib % 2);
                sh16 |= (ls >> 4) << 2 * ib;
                int q = r + 8 + 16 * ib;
                int p = yo + 64 + 128 * ib + 4 * k;
                int p0 = getInt(y, p), p1 = getInt(y, p + 32), p2 = getInt(y, p + 64), p3 = getInt(y, p + 96);
                putInt(x, q, lowNibbles(p0, p2));
                putInt(x, q + 4, highNibbles(p0, p2));
                putInt(x, q + 8, lowNibbles(p1, p3));
                putInt(x, q + 12, highNibbles(p1, p3));
            }
            x[r + 2] = (byte) sh16;
            x[r + 3] = (byte) (sh16 >> 8);
            for (int j = 0; j < 4; j++) x[r + 4 + j] = (byte) sl[j];
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        byte[] v = IQ4_NLR4.VALUES;
        for (int k = 0; k < 8; k++) {
            float d = f16(y, yo + 2 * k);
            int o0 = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * (scale(y, yo, 8 * ib + k) - 32);
                int o = o0 + 32 * ib;
                int p = yo + 64 + 128 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int p0 = u8(y, p + i), p1 = u8(y, p + i + 32), p2 = u8(y, p + i + 64), p3 = u8(y, p + i + 96);
                    // base byte j holds element j (low nibble) and j+16 (high nibble)
                    out[o + i] = dl * v[p0 & 0xF];
                    out[o + i + 4] = dl * v[p0 >> 4];
                    out[o + i + 8] = dl * v[p1 & 0xF];
                    out[o + i + 12] = dl * v[p1 >> 4];
                    out[o + i + 16] = dl * v[p2 & 0xF];
                    out[o + i + 20] = dl * v[p2 >> 4];
                    out[o + i + 24] = dl * v[p3 & 0xF];
                    out[o + i + 28] = dl * v[p3 >> 4];
                }
            }
        }
    }
}
