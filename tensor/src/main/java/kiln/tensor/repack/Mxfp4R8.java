package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * MXFP4 → MXFP4_R8 ({@code repack_mxfp4}, {@code {u8 e[8]; u8 qs[128]}}): the Q4_0_R8 byte interleave with the E8M0
 * exponents in place of the fp16 scales. Value {@code e8m0_to_fp32_half(e)·kvalues_mxfp4[nibble]}.
 */
final class Mxfp4R8 extends ByteInterleaveR8 {
    static final byte[] VALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    Mxfp4R8() {
        super(GgmlType.MXFP4_R8, GgmlType.MXFP4, 1, 16);
    }

    /** ggml's {@code ggml_e8m0_to_fp32_half}: 2^(e − 128), with e &lt; 2 as subnormals. */
    static float e8m0Half(int e) {
        return Float.intBitsToFloat(e >= 2 ? (e - 1) << 23 : 0x00200000 << e);
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 8; k++) {
            float d = e8m0Half(u8(y, yo + k));
            int o = oo + k * os;
            for (int j = 0; j < 16; j++) {
                int b = u8(y, yo + 8 + 32 * (j >> 2) + 4 * k + (j & 3));
                out[o + j] = d * VALUES[b & 0xF];
                out[o + j + 16] = d * VALUES[b >> 4];
            }
        }
    }
}
