package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q5_0 → Q5_0_R4 ({@code repack_q5_0}, {@code {fp16 d[4]; u8 qh[16]; u8 qs[64]}}). With {@code L} the 5-bit values
 * of a row and, for l = 0..3, {@code l1 = 4(l/2) + 16(l%2)}, {@code l2 = l1 + 8}: {@code qs[16l + 4k + i]} holds the low
 * nibbles of {@code L[i+l1]} and {@code L[i+l2]}; bit l / l+4 of {@code qh[4k + i]} their 5th bits. Value {@code (L−16)·d}.
 */
final class Q5_0R4 extends OffsetValuesR4 {
    Q5_0R4() {
        super(GgmlType.Q5_0_R4, GgmlType.Q5_0, 22, 88, 16);
    }

    /** The 32 five-bit values of a base block ({@code convert_q5_0}). */
    private static void values(byte[] x, int r, int[] L) {
        int qh = u8(x, r + 2) | u8(x, r + 3) << 8 | u8(x, r + 4) << 16 | u8(x, r + 5) << 24;
        for (int j = 0; j < 16; j++) {
            int q = u8(x, r + 6 + j);
            L[j] = (q & 0xF) | ((qh >>> j) & 1) << 4;
            L[j + 16] = (q >> 4) | ((qh >>> (j + 16)) & 1) << 4;
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            values(x, r, L);
            for (int i = 0; i < 4; i++) {
                int h = 0;
                for (int l = 0; l < 4; l++) {
                    int a = L[i + l1(l)], b = L[i + l1(l) + 8];
                    y[yo + 24 + 16 * l + 4 * k + i] = (byte) ((a & 0xF) | (b & 0xF) << 4);
                    h |= ((a >> 4) | (b >> 4) << 4) << l;
                }
                y[yo + 8 + 4 * k + i] = (byte) h;
            }
        }
    }

    /** The 32 five-bit values of row k of an interleaved block. */
    @Override
    void values(byte[] y, int yo, int k, int[] L) {
        for (int i = 0; i < 4; i++) {
            int h = u8(y, yo + 8 + 4 * k + i);
            for (int l = 0; l < 4; l++) {
                int q = u8(y, yo + 24 + 16 * l + 4 * k + i);
                L[i + l1(l)] = (q & 0xF) | ((h >> l) & 1) << 4;
                L[i + l1(l) + 8] = (q >> 4) | ((h >> (l + 4)) & 1) << 4;
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            values(y, yo, k, L);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                x[r + 6 + j] = (byte) ((L[j] & 0xF) | (L[j + 16] & 0xF) << 4);
                qh |= (L[j] >> 4) << j | (L[j + 16] >> 4) << (j + 16);
            }
            x[r + 2] = (byte) qh;
            x[r + 3] = (byte) (qh >>> 8);
            x[r + 4] = (byte) (qh >>> 16);
            x[r + 5] = (byte) (qh >>> 24);
        }
    }
}
