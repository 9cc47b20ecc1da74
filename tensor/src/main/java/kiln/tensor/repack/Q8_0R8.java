package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q8_0 → Q8_0_R8 ({@code repack_q8_0}, {@code {fp16 d[8]; i8 qs[256]}}): elements 0..15 of row k at
 * {@code qs[32l + 4k + i] = row_k.qs[4l + i]}, elements 16..31 at {@code qs[128 + 32l + 4k + i]}. Value {@code q·d}.
 */
final class Q8_0R8 extends ByteInterleaveR8 {
    Q8_0R8() {
        super(GgmlType.Q8_0_R8, GgmlType.Q8_0, 2, 32);
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
