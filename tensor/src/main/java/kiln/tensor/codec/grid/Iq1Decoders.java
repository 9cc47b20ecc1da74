package kiln.tensor.codec.grid;

import kiln.tensor.Fp16;

import static kiln.tensor.codec.BlockCodec.half;
import static kiln.tensor.codec.BlockCodec.u16;

/**
 * ggml's {@code dequantize_row_iq1_s} and {@code dequantize_row_iq1_m}, one block each: every 8 values are one
 * point of the 2048-point grid (−1, 0, 1 per value) shifted by ±{@link #DELTA} and scaled by d·(2s+1).
 */
final class Iq1Decoders {
    private Iq1Decoders() {}

    /** {@code IQ1S_DELTA}. */
    static final float DELTA = 0.125f;

    /** IQ1_S (50 bytes): d; qs[32] index low bits; per 32 values a u16 qh: 3×4 index high bits, 3-bit scale, delta sign. */
    static void iq1s(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        int qs = off + 2, qh = off + 34;
        for (int ib = 0; ib < 8; ++ib) {
            int h = u16(b, qh + 2 * ib);
            float dl = d * (2 * ((h >> 12) & 7) + 1);
            float delta = (h & 0x8000) != 0 ? -DELTA : DELTA;
            for (int l = 0; l < 4; ++l) {
                point((b[qs + 4 * ib + l] & 0xFF) | (((h >> 3 * l) & 7) << 8), dl, delta, y, yOff + 32 * ib + 8 * l);
            }
        }
    }

    /**
     * IQ1_M (56 bytes): qs[32] index low bits; qh[16] (per point 3 high bits and the delta sign); scales[8] as four
     * u16 holding twelve 3-bit block scales and, in their top nibbles, the fp16 super-block scale.
     */
    static void iq1m(byte[] b, int off, float[] y, int yOff) {
        int qs = off, qh = off + 32, sc = off + 48;
        int[] s = {u16(b, sc), u16(b, sc + 2), u16(b, sc + 4), u16(b, sc + 6)};
        float d = Fp16.halfToFloat((short) ((s[0] >> 12) | ((s[1] >> 8) & 0x00f0) | ((s[2] >> 4) & 0x0f00) | (s[3] & 0xf000)));
        for (int ib = 0; ib < 8; ++ib) {
            int shift = 6 * (ib % 2);
            float dl1 = d * (2 * ((s[ib / 2] >> shift) & 0x7) + 1);
            float dl2 = d * (2 * ((s[ib / 2] >> (shift + 3)) & 0x7) + 1);
            int h0 = b[qh + 2 * ib] & 0xFF, h1 = b[qh + 2 * ib + 1] & 0xFF;
            int q = qs + 4 * ib, o = yOff + 32 * ib;
            point((b[q] & 0xFF) | ((h0 << 8) & 0x700), dl1, (h0 & 0x08) != 0 ? -DELTA : DELTA, y, o);
            point((b[q + 1] & 0xFF) | ((h0 << 4) & 0x700), dl1, (h0 & 0x80) != 0 ? -DELTA : DELTA, y, o + 8);
            point((b[q + 2] & 0xFF) | ((h1 << 8) & 0x700), dl2, (h1 & 0x08) != 0 ? -DELTA : DELTA, y, o + 16);
            point((b[q + 3] & 0xFF) | ((h1 << 4) & 0x700), dl2, (h1 & 0x80) != 0 ? -DELTA : DELTA, y, o + 24);
        }
    }

    /** {@code y[j] = dl * (grid[j] + delta)}. */
    private static void point(int index, float dl, float delta, float[] y, int yOff) {
        for (int j = 0; j < 8; ++j) y[yOff + j] = dl * (Grids.IQ1[8 * index + j] + delta);
    }
}
