package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q4_0 → Q4_0_R8 ({@code repack_q4_0}, struct {@code block_iq4_nl_r8 {fp16 d[8]; u8 qs[128]}}): a raw 4-byte interleave
 * of the 16 quant bytes, {@code qs[32l + 4k + i] = row_k.qs[4l + i]}; nibbles unchanged. Value {@code (nibble − 8)·d}.
 */
final class Q4_0R8 extends BlockInterleaver {
    Q4_0R8() {
        super(GgmlType.Q4_0_R8, GgmlType.Q4_0, 32, 18, 144);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            for (int l = 0; l < 4; l++) {
                copy4(x, r + 2 + 4 * l, y, yo + 16 + 32 * l + 4 * k);
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
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 8; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int j = 0; j < 16; j++) {
                int b = u8(y, yo + 16 + 32 * (j >> 2) + 4 * k + (j & 3));
                out[o + j] = ((b & 0x0F) - 8) * d;
                out[o + j + 16] = ((b >> 4) - 8) * d;
            }
        }
    }
}
