package kiln.runtime.kernel;

import kiln.tensor.Fp16;
import kiln.tensor.codec.grid.Grids;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Block decoders of the i-quant grid types (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) for {@link IqkDots}'
 * shared level loop: each 256-value block becomes 256 int8 levels and 16 scales (one per 16 values) such that
 * level × scale is the codec's value bit for bit. A grid point's 8 (or 4) levels are one long (int) read from a
 * table; its signs are applied to all bytes at once as {@code (g ^ m) + (m & 0x01…)} with m = 0xFF in each negative
 * byte (no byte carries: grid values are never 0). IQ1's shifted points (value ± 1/8) are stored as 8·v ± 1 with the
 * scale divided by 8, which is exact. The scalar oracle is the codec ({@code kiln.tensor.codec.grid}); the decoders
 * mirror ggml's {@code dequantize_row_iq*} field by field.
 */
final class GridLevels {
    private GridLevels() {}

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private static final long[] IQ2_XXS = longs(Grids.IQ2_XXS), IQ2_XS = longs(Grids.IQ2_XS), IQ2_S = longs(Grids.IQ2_S);
    private static final int[] IQ3_XXS = ints(Grids.IQ3_XXS), IQ3_S = ints(Grids.IQ3_S);
    /** IQ1's points as 8·v + 1 and 8·v − 1 per byte. */
    private static final long[] IQ1_UP = iq1(1), IQ1_DOWN = iq1(-1);
    /** For 8 sign bits: 0xFF in each byte whose bit is set. */
    private static final long[] SIGNS8 = new long[256];

    static {
        for (int s = 0; s < 256; s++) {
            long m = 0;
            for (int j = 0; j < 8; j++) if ((s >> j & 1) != 0) m |= 0xFFL << 8 * j;
            SIGNS8[s] = m;
        }
    }

    private static final long ONES8 = 0x0101010101010101L;

    private static long[] longs(byte[] grid) {
        long[] out = new long[grid.length / 8];
        for (int i = 0; i < out.length; i++) out[i] = (long) LONG.get(grid, 8 * i);
        return out;
    }

    private static int[] ints(byte[] grid) {
        int[] out = new int[grid.length / 4];
        for (int i = 0; i < out.length; i++) out[i] = (int) INT.get(grid, 4 * i);
        return out;
    }

    private static long[] iq1(int shift) {
        long[] out = new long[Grids.IQ1.length / 8];
        for (int i = 0; i < out.length; i++) {
            long v = 0;
            for (int j = 0; j < 8; j++) v |= ((8L * Grids.IQ1[8 * i + j] + shift) & 0xFF) << 8 * j;
            out[i] = v;
        }
        return out;
    }

    /** 8 levels: the point (or two 4-value points) with signs applied, at lv[o]. */
    private static void put8(long point, int signs, byte[] lv, int o) {
        long m = SIGNS8[signs];
        LONG.set(lv, o, (point ^ m) + (m & ONES8));
    }

    /** Two 4-value points as one 8-value word (IQ3's signs cover both). */
    private static long pair(int first, int second) {
        return (first & 0xFFFFFFFFL) | (long) second << 32;
    }

    private static float half(byte[] b, int o) {
        return Fp16.halfToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    static void iq2xxs(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int q = o + 2 + 8 * ib, aux = (int) INT.get(b, q + 4);
            float db = d * (0.5f + (aux >>> 28)) * 0.25f;
            sc[2 * ib] = db;
            sc[2 * ib + 1] = db;
            for (int l = 0; l < 4; l++) put8(IQ2_XXS[b[q + l] & 0xFF], Grids.SIGNS[aux >>> 7 * l & 127] & 0xFF, lv, lo + 32 * ib + 8 * l);
        }
    }

    static void iq2xs(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int s = b[o + 66 + ib] & 0xFF;
            sc[2 * ib] = d * (0.5f + (s & 0xf)) * 0.25f;
            sc[2 * ib + 1] = d * (0.5f + (s >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int q = u16(b, o + 2 + 2 * (4 * ib + l));
                put8(IQ2_XS[q & 511], Grids.SIGNS[q >>> 9] & 0xFF, lv, lo + 32 * ib + 8 * l);
            }
        }
    }

    static void iq2s(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int s = b[o + 74 + ib] & 0xFF, h = b[o + 66 + ib] & 0xFF;
            sc[2 * ib] = d * (0.5f + (s & 0xf)) * 0.25f;
            sc[2 * ib + 1] = d * (0.5f + (s >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int index = (b[o + 2 + 4 * ib + l] & 0xFF) | (h << (8 - 2 * l) & 0x300);
                put8(IQ2_S[index], b[o + 34 + 4 * ib + l] & 0xFF, lv, lo + 32 * ib + 8 * l);
            }
        }
    }

    static void iq3xxs(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int aux = (int) INT.get(b, o + 66 + 4 * ib);
            float db = d * (0.5f + (aux >>> 28)) * 0.5f;
            sc[2 * ib] = db;
            sc[2 * ib + 1] = db;
            for (int l = 0; l < 4; l++) {
                int q = o + 2 + 8 * ib + 2 * l;
                put8(pair(IQ3_XXS[b[q] & 0xFF], IQ3_XXS[b[q + 1] & 0xFF]), Grids.SIGNS[aux >>> 7 * l & 127] & 0xFF, lv, lo + 32 * ib + 8 * l);
            }
        }
    }

    static void iq3s(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int s = b[o + 106 + ib / 2] & 0xFF, h = b[o + 66 + ib] & 0xFF;
            float db = d * (1 + 2 * ((ib & 1) == 0 ? s & 0xf : s >> 4));
            sc[2 * ib] = db;
            sc[2 * ib + 1] = db;
            for (int l = 0; l < 4; l++) {
                int q = o + 2 + 8 * ib + 2 * l;
                put8(pair(IQ3_S[(b[q] & 0xFF) | (h << (8 - 2 * l) & 256)], IQ3_S[(b[q + 1] & 0xFF) | (h << (7 - 2 * l) & 256)]),
                        b[o + 74 + 4 * ib + l] & 0xFF, lv, lo + 32 * ib + 8 * l);
            }
        }
    }

    static void iq1s(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int h = u16(b, o + 34 + 2 * ib);
            float dl = d * (2 * (h >> 12 & 7) + 1) * 0.125f;
            sc[2 * ib] = dl;
            sc[2 * ib + 1] = dl;
            long[] grid = (h & 0x8000) != 0 ? IQ1_DOWN : IQ1_UP;
            for (int l = 0; l < 4; l++) {
                LONG.set(lv, lo + 32 * ib + 8 * l, grid[(b[o + 2 + 4 * ib + l] & 0xFF) | (h >> 3 * l & 7) << 8]);
            }
        }
    }

    static void iq1m(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        int s0 = u16(b, o + 48), s1 = u16(b, o + 50), s2 = u16(b, o + 52), s3 = u16(b, o + 54);
        float d = Fp16.halfToFloat((short) ((s0 >> 12) | (s1 >> 8 & 0x00f0) | (s2 >> 4 & 0x0f00) | (s3 & 0xf000)));
        for (int ib = 0; ib < 8; ib++) {
            int s = switch (ib / 2) { case 0 -> s0; case 1 -> s1; case 2 -> s2; default -> s3; }, shift = 6 * (ib % 2);
            sc[2 * ib] = d * (2 * (s >> shift & 7) + 1) * 0.125f;
            sc[2 * ib + 1] = d * (2 * (s >> (shift + 3) & 7) + 1) * 0.125f;
            int h0 = b[o + 32 + 2 * ib] & 0xFF, h1 = b[o + 33 + 2 * ib] & 0xFF, q = o + 4 * ib, p = lo + 32 * ib;
            LONG.set(lv, p, ((h0 & 0x08) != 0 ? IQ1_DOWN : IQ1_UP)[(b[q] & 0xFF) | (h0 << 8 & 0x700)]);
            LONG.set(lv, p + 8, ((h0 & 0x80) != 0 ? IQ1_DOWN : IQ1_UP)[(b[q + 1] & 0xFF) | (h0 << 4 & 0x700)]);
            LONG.set(lv, p + 16, ((h1 & 0x08) != 0 ? IQ1_DOWN : IQ1_UP)[(b[q + 2] & 0xFF) | (h1 << 8 & 0x700)]);
            LONG.set(lv, p + 24, ((h1 & 0x80) != 0 ? IQ1_DOWN : IQ1_UP)[(b[q + 3] & 0xFF) | (h1 << 4 & 0x700)]);
        }
    }
}
