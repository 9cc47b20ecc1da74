package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * The 4-row interleave of ik's Q5_0 and Q6_0 ({@code repack_q5_0}, {@code repack_q6_0}): 32-element blocks with an
 * fp16 scale per row ({@code d[4]} first) and integer values L stored without sign, value {@code (L − zero)·d}. Low 4
 * bits of row k: for l = 0..3, {@code qs[16l + 4k + i]} holds those of {@code L[i + l1(l)]} and {@code L[i + l1(l) + 8]};
 * subclasses place the high bits.
 */
abstract class OffsetValuesR4 extends BlockInterleaver {
    private final int zero;

    OffsetValuesR4(GgmlType packed, GgmlType base, int baseBlockBytes, int packedBlockBytes, int zero) {
        super(packed, base, 32, baseBlockBytes, packedBlockBytes);
        this.zero = zero;
    }

    /** Element offset of the low nibbles of {@code qs[16l + 4k + i]}: {@code 4(l/2) + 16(l%2)}. */
    static int l1(int l) {
        return 4 * (l >> 1) + 16 * (l & 1);
    }

    /** The 32 values of row k of the interleaved block at {@code y[yo]}. */
    abstract void values(byte[] y, int yo, int k, int[] L);

    @Override
    final void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            values(y, yo, k, L);
            int o = oo + k * os;
            for (int j = 0; j < 32; j++) out[o + j] = (L[j] - zero) * d;
        }
    }
}
