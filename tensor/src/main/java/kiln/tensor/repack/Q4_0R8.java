package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q4_0 → Q4_0_R8 ({@code repack_q4_0}, struct {@code block_iq4_nl_r8 {fp16 d[8]; u8 qs[128]}}): a raw 4-byte interleave
 * of the 16 quant bytes, {@code qs[32l + 4k + i] = row_k.qs[4l + i]}; nibbles unchanged. Value {@code (nibble − 8)·d}.
 */
final class Q4_0R8 extends ByteInterleaveR8 {
    Q4_0R8() {
        super(GgmlType.Q4_0_R8, GgmlType.Q4_0, 2, 16);
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
