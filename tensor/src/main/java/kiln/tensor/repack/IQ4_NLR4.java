package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * IQ4_NL → IQ4_NL_R4 ({@code repack_iq4_nl}, {@code {fp16 d[4]; u8 qs[64]}}): the quant nibbles in the "N4" order of
 * spec §2.3. Value {@code d·kvalues_iq4nl[nibble]}.
 */
final class IQ4_NLR4 extends BlockInterleaver {
    /** ggml's {@code kvalues_iq4nl}. */
    static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    IQ4_NLR4() {
        super(GgmlType.IQ4_NL_R4, GgmlType.IQ4_NL, 32, 18, 72);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            int q = r + 2;
            int p = yo + 8 + 4 * k;
            for (int i = 0; i < 4; i++) {
                int a = u8(x, q + i), b = u8(x, q + i + 8), c = u8(x, q + i + 4), e = u8(x, q + i + 12);
                y[p + i] = (byte) ((a & 0xF) | (b & 0xF) << 4);
                y[p + i + 16] = (byte) ((a >> 4) | (b & 0xF0));
                y[p + i + 32] = (byte) ((c & 0xF) | (e & 0xF) << 4);
                y[p + i + 48] = (byte) ((c >> 4) | (e & 0xF0));
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            int q = r + 2;
            int p = yo + 8 + 4 * k;
            for (int i = 0; i < 4; i++) {
                int p0 = u8(y, p + i), p1 = u8(y, p + i + 16), p2 = u8(y, p + i + 32), p3 = u8(y, p + i + 48);
                x[q + i] = (byte) ((p0 & 0xF) | (p1 & 0xF) << 4);
                x[q + i + 8] = (byte) ((p0 >> 4) | (p1 & 0xF0));
                x[q + i + 4] = (byte) ((p2 & 0xF) | (p3 & 0xF) << 4);
                x[q + i + 12] = (byte) ((p2 >> 4) | (p3 & 0xF0));
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            int p = yo + 8 + 4 * k;
            for (int i = 0; i < 4; i++) {
                int p0 = u8(y, p + i), p1 = u8(y, p + i + 16), p2 = u8(y, p + i + 32), p3 = u8(y, p + i + 48);
                out[o + i] = d * VALUES[p0 & 0xF];
                out[o + i + 8] = d * VALUES[p0 >> 4];
                out[o + i + 16] = d * VALUES[p1 & 0xF];
                out[o + i + 24] = d * VALUES[p1 >> 4];
                out[o + i + 4] = d * VALUES[p2 & 0xF];
                out[o + i + 12] = d * VALUES[p2 >> 4];
                out[o + i + 20] = d * VALUES[p3 & 0xF];
                out[o + i + 28] = d * VALUES[p3 >> 4];
            }
        }
    }
}
