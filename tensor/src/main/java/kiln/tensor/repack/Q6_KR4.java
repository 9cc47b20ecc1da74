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

    private static void values(byte[] y, int yo, int k, int[] L) {
        for (int ib = 0; ib < 8; ib++) {
            N4.values(y, yo + 328 + 64 * ib + 4 * k, L, 32 * ib);
            int h = yo + 72 + 32 * ib + 4 * k;
            for (int i = 0; i < 4; i++) {
                int e = 32 * ib + i;
                for (int hh = 0; hh < 2; hh++) {
                    int hb = u8(y, h + i + 16 * hh);
                    for (int pr = 0; pr < 4; pr++) L[e + 16 * hh + H6[pr]] |= ((hb >> 2 * pr) & 3) << 4;
                }
            }
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r + 208, y, yo + 2 * k);
            for (int ib = 0; ib < 8; ib++) {
                y[yo + 8 + 8 * ib + k] = x[r + 192 + 2 * ib];
                y[yo + 8 + 8 * ib + k + 4] = x[r + 192 + 2 * ib + 1];
                // 32-block ib = 4h + s: low 4 bits of element e in nibble (s >> 1) of ql[64h + 32(s & 1) + e],
                // top 2 bits at bits 2s of qh[32h + e]
                int h = ib >> 2, s = ib & 3;
                int ql = r + 64 * h + 32 * (s & 1), qh = r + 128 + 32 * h;
                N4.pack(x, ql, (s >> 1) != 0, y, yo + 328 + 64 * ib + 4 * k);
                int ph = yo + 72 + 32 * ib + 4 * k;
                for (int hh = 0; hh < 2; hh++) {
                    int hb = 0;
                    for (int pr = 0; pr < 4; pr++) hb |= (getInt(x, qh + 16 * hh + H6[pr]) >>> 2 * s & 0x03030303) << 2 * pr;
                    putInt(y, ph + 16 * hh, hb);
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r + 208);
            for (int ib = 0; ib < 8; ib++) {
                x[r + 192 + 2 * ib] = y[yo + 8 + 8 * ib + k];
                x[r + 192 + 2 * ib + 1] = y[yo + 8 + 8 * ib + k + 4];
            }
            java.util.Arrays.fill(x, r + 128, r + 192, (byte) 0);
            for (int h = 0; h < 2; h++) {
                for (int half = 0; half < 2; half++) {
                    // ql[64h + 32·half + e]: low nibble from 32-block 4h + half, high nibble from 4h + half + 2
                    int p0 = yo + 328 + 64 * (4 * h + half) + 4 * k;
                    N4.unpack(y, p0, p0 + 128, x, r + 64 * h + 32 * half);
                }
                int qh = r + 128 + 32 * h;
                for (int s = 0; s < 4; s++) {
                    int ph = yo + 72 + 32 * (4 * h + s) + 4 * k;
                    for (int hh = 0; hh < 2; hh++) {
                        int hb = getInt(y, ph + 16 * hh);
                        for (int pr = 0; pr < 4; pr++) {
                            int o = qh + 16 * hh + H6[pr];
                            putInt(x, o, getInt(x, o) | (hb >>> 2 * pr & 0x03030303) << 2 * s);
                        }
                    }
                }
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
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
