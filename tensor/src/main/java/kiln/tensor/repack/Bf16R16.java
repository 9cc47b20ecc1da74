package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

/**
 * BF16 → BF16_R16 ({@code repack_bf16}): for each column pair {@code ib}, the 16 rows' two bf16 values in row order,
 * {@code y[32ib + 2k + j] = row_k[2ib + j]}. Exact in both directions.
 */
final class Bf16R16 extends BlockInterleaver {
    Bf16R16() {
        super(GgmlType.BF16_R16, GgmlType.BF16, 2, 4, 64);
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 16; k++) copy4(x, xo + k * xs, y, yo + 4 * k);
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 16; k++) copy4(y, yo + 4 * k, x, xo + k * xs);
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 16; k++) {
            int p = yo + 4 * k;
            out[oo + k * os] = Fp16.bf16ToFloat((short) (u8(y, p) | u8(y, p + 1) << 8));
            out[oo + k * os + 1] = Fp16.bf16ToFloat((short) (u8(y, p + 2) | u8(y, p + 3) << 8));
        }
    }
}
