package kiln.tensor.codec.grid;

import static kiln.tensor.codec.BlockCodec.half;
import static kiln.tensor.codec.BlockCodec.i32;
import static kiln.tensor.codec.BlockCodec.u16;

/**
 * ggml's {@code dequantize_row_iq2_xxs}, {@code dequantize_row_iq2_xs} and {@code dequantize_row_iq2_s}, one
 * block each. Every 8 values are one grid point (8, 25 or 43 per value) with 8 signs; every 32 values carry a 4-bit
 * scale s, giving d·(0.5 + s)·0.25.
 */
final class Iq2Decoders {
    private Iq2Decoders() {}

    /** IQ2_XXS (66 bytes): d; per 32 values 4 grid indices (bytes) and a u32 of 4×7 sign bits and the scale in bits 28..31. */
    static void iq2xxs(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int q = off + 2 + 8 * ib32;
            int aux = i32(b, q + 4);
            float db = d * (0.5f + (aux >>> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                point(Grids.IQ2_XXS, b[q + l] & 0xFF, Grids.SIGNS[(aux >>> 7 * l) & 127], db, y, yOff + 32 * ib32 + 8 * l);
            }
        }
    }

    /** IQ2_XS (74 bytes): d; 32 u16 (9-bit grid index, 7 sign bits); 8 bytes of two 4-bit scales. */
    static void iq2xs(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int sc = b[off + 66 + ib32] & 0xFF;
            float db0 = d * (0.5f + (sc & 0xf)) * 0.25f, db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                int q = u16(b, off + 2 + 2 * (4 * ib32 + l));
                point(Grids.IQ2_XS, q & 511, Grids.SIGNS[q >>> 9], l < 2 ? db0 : db1, y, yOff + 32 * ib32 + 8 * l);
            }
        }
    }

    /** IQ2_S (82 bytes): d; qs[32] grid index low bits; signs[32]; qh[8] (2 high bits per point); scales[8]. */
    static void iq2s(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        int qs = off + 2, signs = off + 34, qh = off + 66, scales = off + 74;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int sc = b[scales + ib32] & 0xFF, h = b[qh + ib32] & 0xFF;
            float db0 = d * (0.5f + (sc & 0xf)) * 0.25f, db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                int index = (b[qs + 4 * ib32 + l] & 0xFF) | ((h << (8 - 2 * l)) & 0x300);
                point(Grids.IQ2_S, index, b[signs + 4 * ib32 + l], l < 2 ? db0 : db1, y, yOff + 32 * ib32 + 8 * l);
            }
        }
    }

    /** {@code y[j] = db * grid[j] * (signs & kmask_iq2xs[j] ? -1 : 1)} for one 8-value point. */
    private static void point(byte[] grid, int index, byte signs, float db, float[] y, int yOff) {
        for (int j = 0; j < 8; ++j) {
            float v = db * grid[8 * index + j];
            y[yOff + j] = (signs & (1 << j)) != 0 ? -v : v;
        }
    }
}
