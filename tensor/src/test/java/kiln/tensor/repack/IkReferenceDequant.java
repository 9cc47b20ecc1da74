package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

/**
 * Test oracle: ik_llama.cpp's scalar dequantizers of its own base types that Kiln has no codec for yet, transcribed
 * statement by statement ({@code ggml-quants.c: dequantize_row_q6_0}, {@code iqk_quantize.cpp:
 * dequantize_row_iq2_k / iq3_k / iq4_k / iq5_k} at the fixtures' commit).
 */
final class IkReferenceDequant {
    private IkReferenceDequant() {}

    static void block(GgmlType t, byte[] x, int o, float[] y, int yo) {
        switch (t) {
            case Q6_0 -> q6_0(x, o, y, yo);
            case MXFP4 -> mxfp4(x, o, y, yo);
            case IQ2_K -> iq2k(x, o, y, yo);
            case IQ3_K -> iq3k(x, o, y, yo);
            case IQ4_K -> iq4k(x, o, y, yo);
            case IQ5_K -> iq5k(x, o, y, yo);
            default -> throw new IllegalArgumentException(t.toString());
        }
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static float d(byte[] x, int o) {
        return Fp16.halfToFloat((short) (u8(x, o) | u8(x, o + 1) << 8));
    }

    private static void mxfp4(byte[] x, int o, float[] y, int yo) {
        int e = u8(x, o);
        // ggml_e8m0_to_fp32_half
        float d = Float.intBitsToFloat(e >= 2 ? (e - 1) << 23 : new int[] {0x00200000, 0x00400000}[e]);
        for (int j = 0; j < 16; ++j) {
            y[yo + j] = d * Mxfp4R8.VALUES[u8(x, o + 1 + j) & 0xf];
            y[yo + j + 16] = d * Mxfp4R8.VALUES[u8(x, o + 1 + j) >> 4];
        }
    }

    private static void q6_0(byte[] x, int o, float[] y, int yo) {
        float d = d(x, o);
        for (int j = 0; j < 16; ++j) {
            int h = u8(x, o + 2 + j % 8) >> 4 * (j / 8);
            int x0 = ((u8(x, o + 10 + j) & 0x0F) | ((h << 4) & 0x30)) - 32;
            int x1 = ((u8(x, o + 10 + j) >> 4) | ((h << 2) & 0x30)) - 32;
            y[yo + j] = x0 * d;
            y[yo + j + 16] = x1 * d;
        }
    }

    private static void iq2k(byte[] x, int o, float[] y, int yo) {
        float d = d(x, o);
        int qs = o + 12;
        int extra = u8(x, o + 2) | u8(x, o + 3) << 8;
        int shift = 0;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            float dl1 = d * ((u8(x, o + 4 + ib32) & 0xf) - 8);
            float dl2 = d * ((u8(x, o + 4 + ib32) >> 4) - 8);
            int v1 = (extra & 1) != 0 ? 4 : 0;
            int v2 = (extra & 2) != 0 ? 4 : 0;
            extra >>= 2;
            for (int j = 0; j < 16; ++j) {
                y[yo + j] = dl1 * IqLowKR4.IQ2NL[v1 + ((u8(x, qs + j) >> shift) & 3)];
                y[yo + j + 16] = dl2 * IqLowKR4.IQ2NL[v2 + ((u8(x, qs + j + 16) >> shift) & 3)];
            }
            yo += 32;
            shift += 2;
            if (shift == 8) { qs += 32; shift = 0; }
        }
    }

    private static void iq3k(byte[] x, int o, float[] y, int yo) {
        float d = d(x, o);
        int qs = o + 14, qh = o + 78;
        int sh = u8(x, o + 4) | u8(x, o + 5) << 8;
        int extra = u8(x, o + 2) | u8(x, o + 3) << 8;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            float dl1 = d * ((2 * (u8(x, o + 6 + ib32) & 0xf) + 1) * ((sh & 1) != 0 ? -1 : 1));
            float dl2 = d * ((2 * (u8(x, o + 6 + ib32) >> 4) + 1) * ((sh & 2) != 0 ? -1 : 1));
            sh >>= 2;
            int v1 = (extra & 1) != 0 ? 8 : 0;
            int v2 = (extra & 2) != 0 ? 8 : 0;
            extra >>= 2;
            int shiftL = 2 * (ib32 % 4), shiftH = ib32 % 8;
            for (int j = 0; j < 16; ++j) {
                y[yo + j] = dl1 * IqLowKR4.IQ3NL[v1 + (((u8(x, qs + j) >> shiftL) & 3) | (((u8(x, qh + j) >> shiftH) & 1) << 2))];
                y[yo + j + 16] = dl2 * IqLowKR4.IQ3NL[v2 + (((u8(x, qs + j + 16) >> shiftL) & 3) | (((u8(x, qh + j + 16) >> shiftH) & 1) << 2))];
            }
            yo += 32;
            if (shiftL == 6) qs += 32;
        }
    }

    private static void iq4k(byte[] x, int o, float[] y, int yo) {
        float d = d(x, o);
        int extra = u8(x, o + 2) | u8(x, o + 3) << 8;
        int qs = o + 16;
        for (int ib = 0; ib < 8; ++ib) {
            int sh = u8(x, o + 4 + ib / 2) >> 4 * (ib % 2);
            float dl1 = d * (((u8(x, o + 8 + ib) & 0xf) | ((sh << 4) & 0x30)) - 32);
            float dl2 = d * (((u8(x, o + 8 + ib) >> 4) | ((sh << 2) & 0x30)) - 32);
            int v1 = (extra & 1) != 0 ? 16 : 0;
            int v2 = (extra & 2) != 0 ? 16 : 0;
            extra >>= 2;
            for (int j = 0; j < 16; ++j) {
                y[yo + j] = dl1 * IqKR4.IQ4K[v1 + (u8(x, qs + j) & 0xf)];
                y[yo + j + 16] = dl2 * IqKR4.IQ4K[v2 + (u8(x, qs + j) >> 4)];
            }
            yo += 32;
            qs += 16;
        }
    }

    /** One row of IQ4_KS or IQ5_KS: {@code float d}, then {@code nblocks} blocks. */
    static void ksRow(GgmlType t, byte[] x, int o, float[] y, int yo, int nblocks) {
        float d = Float.intBitsToFloat(u8(x, o) | u8(x, o + 1) << 8 | u8(x, o + 2) << 16 | u8(x, o + 3) << 24);
        for (int b = 0; b < nblocks; b++) {
            if (t == GgmlType.IQ4_KS) iq4ks(d, x, o + 4 + 136 * b, y, yo + 256 * b);
            else iq5ks(d, x, o + 4 + 168 * b, y, yo + 256 * b);
        }
    }

    private static void iq4ks(float d, byte[] x, int b, float[] y, int yo) {
        int qs = b + 8;
        for (int ib = 0; ib < 8; ++ib) {
            int sc = u8(x, b + ib);
            float dl = d * ((sc & 254) - 127);
            int v = (sc & 1) << 4;
            for (int j = 0; j < 16; ++j) {
                y[yo + j] = dl * IqKR4.IQ4K[v + (u8(x, qs + j) & 0xf)];
                y[yo + j + 16] = dl * IqKR4.IQ4K[v + (u8(x, qs + j) >> 4)];
            }
            yo += 32;
            qs += 16;
        }
    }

    private static void iq5ks(float d, byte[] x, int b, float[] y, int yo) {
        int qs = b + 8, qh = b + 136;
        for (int ib64 = 0; ib64 < 4; ++ib64) {
            int s1 = u8(x, b + 2 * ib64), s2 = u8(x, b + 2 * ib64 + 1);
            float dl1 = d * ((s1 & 254) - 127);
            float dl2 = d * ((s2 & 254) - 127);
            int v1 = (s1 & 1) << 5, v2 = (s2 & 1) << 5;
            for (int j = 0; j < 32; ++j) {
                y[yo + j] = dl1 * IqKR4.IQ5NL[v1 + ((u8(x, qs + j) & 0xf) | (((u8(x, qh + j) >> (2 * ib64)) & 1) << 4))];
                y[yo + j + 32] = dl2 * IqKR4.IQ5NL[v2 + ((u8(x, qs + j) >> 4) | (((u8(x, qh + j) >> (2 * ib64 + 1)) & 1) << 4))];
            }
            yo += 64;
            qs += 32;
        }
    }

    private static void iq5k(byte[] x, int o, float[] y, int yo) {
        float d = d(x, o);
        int qs = o + 16, qh = o + 144, sl = o + 8, sh = o + 4;
        int extra = u8(x, o + 2) | u8(x, o + 3) << 8;
        int shift = 0;
        for (int ib64 = 0; ib64 < 4; ++ib64) {
            float dl1 = d * (((u8(x, sl + 2 * ib64) & 0xf) | ((u8(x, sh + ib64) << 4) & 0x30)) - 32);
            float dl2 = d * (((u8(x, sl + 2 * ib64) >> 4) | ((u8(x, sh + ib64) << 2) & 0x30)) - 32);
            float dl3 = d * (((u8(x, sl + 2 * ib64 + 1) & 0xf) | ((u8(x, sh + ib64) >> 0) & 0x30)) - 32);
            float dl4 = d * (((u8(x, sl + 2 * ib64 + 1) >> 4) | ((u8(x, sh + ib64) >> 2) & 0x30)) - 32);
            int v1 = (extra & 1) << 5, v2 = (extra & 2) << 4, v3 = (extra & 4) << 3, v4 = (extra & 8) << 2;
            for (int j = 0; j < 16; ++j) {
                y[yo + j] = dl1 * IqKR4.IQ5NL[v1 + ((u8(x, qs + j) & 0xf) | (((u8(x, qh + j) >> shift) & 1) << 4))];
                y[yo + j + 16] = dl2 * IqKR4.IQ5NL[v2 + ((u8(x, qs + j + 16) & 0xf) | (((u8(x, qh + j + 16) >> shift) & 1) << 4))];
                y[yo + j + 32] = dl3 * IqKR4.IQ5NL[v3 + ((u8(x, qs + j) >> 4) | (((u8(x, qh + j) >> shift) & 2) << 3))];
                y[yo + j + 48] = dl4 * IqKR4.IQ5NL[v4 + ((u8(x, qs + j + 16) >> 4) | (((u8(x, qh + j + 16) >> shift) & 2) << 3))];
            }
            yo += 64;
            qs += 32;
            extra >>= 4;
            shift += 2;
        }
    }
}
