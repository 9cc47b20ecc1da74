package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q2_K → Q2_K_R4 ({@code repack_q2_k}, {@code {fp16 d[8]; u8 scales[64]; u8 qs[256]}}): {@code d[k]} = d,
 * {@code d[4+k]} = dmin of row k; {@code scales[4j + k] = row_k.scales[j]} (byte unchanged); quants in N2 order.
 * Value {@code (d·(sc&15))·q − dmin·(sc>>4)} per 16-block.
 */
final class Q2_KR4 extends BlockInterleaver {
    Q2_KR4() {
        super(GgmlType.Q2_K_R4, GgmlType.Q2_K, 256, 84, 336);
    }

    /** {@code convert_q2_k}. */
    private static void values(byte[] x, int r, int[] L) {
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 32; j++) {
                int q = u8(x, r + 16 + 32 * h + j);
                for (int s = 0; s < 4; s++) L[128 * h + 32 * s + j] = (q >> 2 * s) & 3;
            }
        }
    }

    private static void values(byte[] y, int yo, int k, int[] L) {
        for (int ib = 0; ib < 8; ib++) {
            int p = yo + 80 + 32 * ib + 4 * k;
            for (int i = 0; i < 4; i++) {
                int q0 = u8(y, p + i), q1 = u8(y, p + i + 16);
                for (int b = 0; b < 4; b++) {
                    L[32 * ib + i + 4 * b] = (q0 >> 2 * b) & 3;
                    L[32 * ib + 16 + i + 4 * b] = (q1 >> 2 * b) & 3;
                }
            }
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r + 80, y, yo + 2 * k);
            copy2(x, r + 82, y, yo + 2 * (k + 4));
            for (int j = 0; j < 16; j++) y[yo + 16 + 4 * j + k] = x[r + j];
            values(x, r, L);
            for (int ib = 0; ib < 8; ib++) {
                int p = yo + 80 + 32 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int e = 32 * ib + i;
                    int q0 = 0, q1 = 0;
                    for (int b = 0; b < 4; b++) {
                        q0 |= L[e + 4 * b] << 2 * b;
                        q1 |= L[e + 16 + 4 * b] << 2 * b;
                    }
                    y[p + i] = (byte) q0;
                    y[p + i + 16] = (byte) q1;
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r + 80);
            copy2(y, yo + 2 * (k + 4), x, r + 82);
            for (int j = 0; j < 16; j++) x[r + j] = y[yo + 16 + 4 * j + k];
            values(y, yo, k, L);
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 32; j++) {
                    int q = 0;
                    for (int s = 0; s < 4; s++) q |= L[128 * h + 32 * s + j] << 2 * s;
                    x[r + 16 + 32 * h + j] = (byte) q;
                }
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            float dmin = f16(y, yo + 2 * (k + 4));
            values(y, yo, k, L);
            int o = oo + k * os;
            for (int j = 0; j < 16; j++) {
                int sc = u8(y, yo + 16 + 4 * j + k);
                float dl = d * (sc & 0xF);
                float ml = dmin * (sc >> 4);
                for (int l = 0; l < 16; l++) out[o + 16 * j + l] = dl * L[16 * j + l] - ml;
            }
        }
    }
}
