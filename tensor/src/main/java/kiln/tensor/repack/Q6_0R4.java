package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * ik's Q6_0 → Q6_0_R4 ({@code repack_q6_0}, {@code {fp16 d[4]; u8 qh[32]; u8 qs[64]}}). Base Q6_0 (26 bytes:
 * {@code fp16 d; u8 qh[8]; u8 qs[16]}): for j &lt; 16, {@code h = qh[j%8] >> 4(j/8)}, element j =
 * {@code (qs[j]&15) | (h&3)<<4}, element j+16 = {@code (qs[j]>>4) | ((h>>2)&3)<<4}. Interleaved: low 4 bits as in
 * Q5_0_R4; {@code qh[4k+i]} bit pairs 0..3 = top 2 bits of elements {@code i, i+4, i+8, i+12}, {@code qh[4k+i+16]}
 * those of {@code 16+i, 20+i, 24+i, 28+i}. Value {@code (L−32)·d}. Q6_0 appears in ik's mixes as the fallback of
 * Q5_K for rows that are not a multiple of 256 (e.g. DeepSeek's {@code attn_k_b}).
 */
final class Q6_0R4 extends OffsetValuesR4 {
    Q6_0R4() {
        super(GgmlType.Q6_0_R4, GgmlType.Q6_0, 26, 104, 32);
    }

    /** {@code convert_q6_0}. */
    private static void values(byte[] x, int r, int[] L) {
        for (int j = 0; j < 16; j++) {
            int h = u8(x, r + 2 + j % 8) >> 4 * (j / 8);
            int q = u8(x, r + 10 + j);
            L[j] = (q & 0xF) | (h << 4 & 0x30);
            L[j + 16] = (q >> 4) | (h << 2 & 0x30);
        }
    }

    @Override
    void values(byte[] y, int yo, int k, int[] L) {
        for (int i = 0; i < 4; i++) {
            for (int l = 0; l < 4; l++) {
                int q = u8(y, yo + 40 + 16 * l + 4 * k + i);
                int h = u8(y, yo + 8 + 4 * k + i + 16 * (l & 1)) >> 2 * (l >> 1);
                L[i + l1(l)] = (q & 0xF) | (h & 3) << 4;
                L[i + l1(l) + 8] = (q >> 4) | ((h >> 4) & 3) << 4;
            }
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        java.util.Arrays.fill(y, yo + 8, yo + 40, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            values(x, r, L);
            for (int l = 0; l < 4; l++) {
                for (int i = 0; i < 4; i++) {
                    int a = L[i + l1(l)], b = L[i + l1(l) + 8];
                    y[yo + 40 + 16 * l + 4 * k + i] = (byte) ((a & 0xF) | (b & 0xF) << 4);
                    y[yo + 8 + 4 * k + i + 16 * (l & 1)] |= (byte) (((a >> 4) | (b >> 4) << 4) << 2 * (l >> 1));
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r);
            values(y, yo, k, L);
            java.util.Arrays.fill(x, r + 2, r + 10, (byte) 0);
            for (int j = 0; j < 16; j++) {
                x[r + 10 + j] = (byte) ((L[j] & 0xF) | (L[j + 16] & 0xF) << 4);
                x[r + 2 + j % 8] |= (byte) (((L[j] >> 4) | (L[j + 16] >> 4) << 2) << 4 * (j / 8));
            }
        }
    }
}
