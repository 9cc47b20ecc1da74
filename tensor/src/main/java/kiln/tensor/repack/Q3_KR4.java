package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * Q3_K → Q3_K_R4 ({@code repack_q3_k}, {@code {fp16 d[4]; u8 scales_h[16]; u8 scales_l[32]; u8 qh[128]; u8 qs[256]}}).
 * The 16 six-bit scales of a row: 16-block {@code 2ib} goes to slot {@code s = 8ib + k}, {@code 2ib+1} to {@code s+4};
 * low nibble in {@code scales_l[s%32]} nibble {@code s/32}, high 2 bits in {@code scales_h[s%16]} bits {@code 2(s/16)}.
 * Quants {@code L = low2 + 4·hbit}: low 2 bits in N2 order, high bits in H1 order (spec §2.3). Value
 * {@code (d·(scale−32))·(L−4)}.
 */
final class Q3_KR4 extends BlockInterleaver {
    Q3_KR4() {
        super(GgmlType.Q3_K_R4, GgmlType.Q3_K, 256, 110, 440);
    }

    /** The 16 six-bit scales from the 12-byte field at {@code q[off]}. */
    private static void scales(byte[] q, int off, int[] sc) {
        for (int j = 0; j < 16; j++) {
            int lo = (u8(q, off + j % 8) >> 4 * (j / 8)) & 0xF;
            int hi = (u8(q, off + 8 + j % 4) >> 2 * (j / 4)) & 3;
            sc[j] = lo | hi << 4;
        }
    }

    private static void packScales(int[] sc, byte[] q, int off) {
        Arrays.fill(q, off, off + 12, (byte) 0);
        for (int j = 0; j < 16; j++) {
            q[off + j % 8] |= (byte) ((sc[j] & 0xF) << 4 * (j / 8));
            q[off + 8 + j % 4] |= (byte) ((sc[j] >> 4) << 2 * (j / 4));
        }
    }

    /** {@code convert_q3_k}: per 128-half h, shift j: element 128h + 32j + l. */
    private static void values(byte[] x, int r, int[] L) {
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 4; j++) {
                int m = 1 << (4 * h + j);
                for (int l = 0; l < 32; l++) {
                    L[128 * h + 32 * j + l] = ((u8(x, r + 32 + 32 * h + l) >> 2 * j) & 3) + ((u8(x, r + l) & m) != 0 ? 4 : 0);
                }
            }
        }
    }

    private static int slotScale(byte[] y, int yo, int s) {
        return ((u8(y, yo + 24 + s % 32) >> 4 * (s / 32)) & 0xF) | ((u8(y, yo + 8 + s % 16) >> 2 * (s / 16)) & 3) << 4;
    }

    private static void values(byte[] y, int yo, int k, int[] L) {
        for (int ib = 0; ib < 8; ib++) {
            int p = yo + 184 + 32 * ib + 4 * k;
            int h = yo + 56 + 16 * ib + 4 * k;
            for (int i = 0; i < 4; i++) {
                int e = 32 * ib + i;
                int q0 = u8(y, p + i), q1 = u8(y, p + i + 16), hb = u8(y, h + i);
                for (int b = 0; b < 4; b++) {
                    L[e + 4 * b] = (q0 >> 2 * b) & 3;
                    L[e + 16 + 4 * b] = (q1 >> 2 * b) & 3;
                }
                for (int b = 0; b < 8; b++) L[e + 4 * b] |= ((hb >> b) & 1) << 2;
            }
        }
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        int[] sc = new int[16];
        Arrays.fill(y, yo + 8, yo + 56, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r + 108, y, yo + 2 * k);
            scales(x, r + 96, sc);
            values(x, r, L);
            for (int ib = 0; ib < 8; ib++) {
                for (int half = 0; half < 2; half++) {
                    int s = 8 * ib + k + 4 * half;
                    int v = sc[2 * ib + half];
                    y[yo + 24 + s % 32] |= (byte) ((v & 0xF) << 4 * (s / 32));
                    y[yo + 8 + s % 16] |= (byte) ((v >> 4) << 2 * (s / 16));
                }
                int p = yo + 184 + 32 * ib + 4 * k;
                int h = yo + 56 + 16 * ib + 4 * k;
                for (int i = 0; i < 4; i++) {
                    int e = 32 * ib + i;
                    int q0 = 0, q1 = 0, hb = 0;
                    for (int b = 0; b < 4; b++) {
                        q0 |= (L[e + 4 * b] & 3) << 2 * b;
                        q1 |= (L[e + 16 + 4 * b] & 3) << 2 * b;
                    }
                    for (int b = 0; b < 8; b++) hb |= (L[e + 4 * b] >> 2) << b;
                    y[p + i] = (byte) q0;
                    y[p + i + 16] = (byte) q1;
                    y[h + i] = (byte) hb;
                }
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        int[] sc = new int[16];
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(y, yo + 2 * k, x, r + 108);
            for (int ib = 0; ib < 8; ib++) {
                sc[2 * ib] = slotScale(y, yo, 8 * ib + k);
                sc[2 * ib + 1] = slotScale(y, yo, 8 * ib + k + 4);
            }
            packScales(sc, x, r + 96);
            values(y, yo, k, L);
            Arrays.fill(x, r, r + 96, (byte) 0);
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    for (int l = 0; l < 32; l++) {
                        int v = L[128 * h + 32 * j + l];
                        x[r + 32 + 32 * h + l] |= (byte) ((v & 3) << 2 * j);
                        x[r + l] |= (byte) ((v >> 2) << (4 * h + j));
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
                float d1 = d * (slotScale(y, yo, 8 * ib + k) - 32);
                float d2 = d * (slotScale(y, yo, 8 * ib + k + 4) - 32);
                for (int j = 0; j < 16; j++) {
                    out[o + 32 * ib + j] = d1 * (L[32 * ib + j] - 4);
                    out[o + 32 * ib + j + 16] = d2 * (L[32 * ib + j + 16] - 4);
                }
            }
        }
    }
}
