package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * Q6_K → Q6_K_R4 ({@code repack_q6_k}, {@code {fp16 d[4]; i8 scales[64]; u8 qh[256]; u8 ql[512]}}):
 * {@code scales[8ib + k] = row_k.scales[2ib]}, {@code scales[8ib + k + 4] = row_k.scales[2ib + 1]}; low 4 bits in N4
 * order; {@code qh[32ib + 4k + i + 16h]} bit pairs 0..3 = top 2 bits of elements {@code 16h + i + {0, 8, 4, 12}}.
 * Value {@code (d·scale)·(L−32)} with the scale of the element's 16-block.
 */
final class Q6_KR4 extends BlockInterleaver {
    private static final int[] H6 = {0, 8, 4, 12};

    Q6_KR4() {
        super(GgmlType.Q6_K_R4, GgmlType.Q6_K, 256, 210, 840);
    }

    /** {@code convert_q6_k}. */
    private static void values(byte[] x, int r, int[] L) {
        for (int h = 0; h < 2; h++) {
            int ql = r + 64 * h, qh = r + 128 + 32 * h, n = 128 * h;
            for (int l = 0; l < 32; l++) {
                int a = u8(x, ql + l), b = u8(x, ql + l + 32), c = u8(x, qh + l);
                L[n + l] = (a & 0xF) | (c & 3) << 4;
                L[n + l + 32] = (b & 0xF) | ((c >> 2) & 3) << 4;
                L[n + l + 64] = (a >> 4) | ((c >> 4) & 3) << 4;
                L[n + l + 96] = (b >> 4) | ((c >> 6) & 3) << 4;
            }
        }
    }

    private static void values(byte[] y, int yo, int k, int[] L) {
        for (int ib = 0; ib < 8; ib++) {
            int p = yo + 328 + 64 * ib + 4 * k;
            int h = yo + 72 + 32 * ib + 4 * k;
            for (int i = 0; i < 4; i++) {
                int e = 32 * ib + i;
                for (int m = 0; m < 4; m++) {
                    int q = u8(y, p + i + 16 * m);
                    L[e + KQuantR4.N4[m]] = q & 0xF;
                    L[e + KQuantR4.N4[m] + 8] = q >> 4;
                }
                for (int hh = 0; hh < 2; hh++) {
                    int hb = u8(y, h + i + 16 * hh);
                    for (int pr = 0; pr < 4; pr++) L[e + 16 * hh + H6[pr]] |= ((hb >> 2 * pr) & 3) << 4;
                }
            }
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo) {
        int[] L = new int[256];
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r + 208, y, yo + 2 * k);
            values(x, r, L);
            for (int ib = 0; ib < 8; ib++) {
                y[yo + 8 + 8 * ib + k] = x[r + 192 + 2 * ib];
                y[yo + 8 + 8 * ib + k + 4] = x[r + 192 + 2 * ib + 1];
                int p = yo + 328 + 64 * ib + 4 * k;
                int h = yo + 72 + 32 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int e = 32 * ib + i;
                    for (int m = 0; m < 4; m++) {
                        y[p + i + 16 * m] = (byte) ((L[e + KQuantR4.N4[m]] & 0xF) | (L[e + KQuantR4.N4[m] + 8] & 0xF) << 4);
                    }
                    for (int hh = 0; hh < 2; hh++) {
                        int hb = 0;
                        for (int pr = 0; pr < 4; pr++) hb |= (L[e + 16 * hh + H6[pr]] >> 4) << 2 * pr;
                        y[h + i + 16 * hh] = (byte) hb;
                    }
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs) {
        int[] L = new int[256];
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r + 208);
            for (int ib = 0; ib < 8; ib++) {
                x[r + 192 + 2 * ib] = y[yo + 8 + 8 * ib + k];
                x[r + 192 + 2 * ib + 1] = y[yo + 8 + 8 * ib + k + 4];
            }
            values(y, yo, k, L);
            for (int h = 0; h < 2; h++) {
                int ql = r + 64 * h, qh = r + 128 + 32 * h, n = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int v0 = L[n + l], v1 = L[n + l + 32], v2 = L[n + l + 64], v3 = L[n + l + 96];
                    x[ql + l] = (byte) ((v0 & 0xF) | (v2 & 0xF) << 4);
                    x[ql + l + 32] = (byte) ((v1 & 0xF) | (v3 & 0xF) << 4);
                    x[qh + l] = (byte) ((v0 >> 4) | (v1 >> 4) << 2 | (v2 >> 4) << 4 | (v3 >> 4) << 6);
                }
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os) {
        int[] L = new int[256];
        for (int k = 0; k < 4; k++) {
            float d = f16(y, yo + 2 * k);
            values(y, yo, k, L);
            int o = oo + k * os;
            for (int ib = 0; ib < 8; ib++) {
                float d1 = d * y[yo + 8 + 8 * ib + k];
                float d2 = d * y[yo + 8 + 8 * ib + k + 4];
                for (int j = 0; j < 16; j++) {
                    out[o + 32 * ib + j] = d1 * (L[32 * ib + j] - 32);
                    out[o + 32 * ib + j + 16] = d2 * (L[32 * ib + j + 16] - 32);
                }
            }
        }
    }
}
