package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q8_0 → Q8_0_R8 ({@code repack_q8_0}, {@code {fp16 d[8]; i8 qs[256]}}): elements 0..15 of row k at
 * {@code qs[32l + 4k + i] = row_k.qs[4l + i]}, elements 16..31 at {@code qs[128 + 32l + 4k + i]}. Value {@code q·d}.
 */
final class Q8_0R8 extends BlockInterleaver {
    Q8_0R8() {
        super(GgmlType.Q8_0_R8, GgmlType.Q8_0, 32, 34, 272);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            for (int l = 0; l < 4; l++) {
                copy4(x, r + 2 + 4 * l, y, yo + 16 + 32 * l + 4 * k);
                copy4(x, r + 2 + 16 + 4 * l, y, yo + 16 + 128 + 32 * l + 4 * k);
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            for (int l = 0; l < 4; l++) {
                copy4(y, yo + 16 + 32 * l + 4 * k, x, r + 2 + 4 * l);
                copy4(y, yo + 16 + 128 + 32 * l + 4 * k, x, r + 2 + 16 + 4 * l);
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 8; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int j = 0; j < 16; j++) {
                int p = yo + 16 + 32 * (j >> 2) + 4 * k + (j & 3);
                out[o + j] = y[p] * d;
                out[o + j + 16] = y[p + 128] * d;
            }
        }
    }
}
