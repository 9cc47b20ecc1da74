package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * IQ4_NL → IQ4_NL_R4 ({@code repack_iq4_nl}, {@code {fp16 d[4]; u8 qs[64]}}): the quant nibbles in the {@link N4} order of
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
            N4.pack16(x, r + 2, y, yo + 8 + 4 * k);
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            N4.unpack16(y, yo + 8 + 4 * k, x, r + 2);
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            N4.values(y, yo + 8 + 4 * k, L, 0);
            for (int j = 0; j < 32; j++) out[o + j] = d * VALUES[L[j]];
        }
    }
}
