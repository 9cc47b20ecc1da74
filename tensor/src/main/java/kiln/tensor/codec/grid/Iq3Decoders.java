package kiln.tensor.codec.grid;

import static kiln.tensor.codec.BlockCodec.half;
import static kiln.tensor.codec.BlockCodec.i32;

/**
 * ggml's {@code dequantize_row_iq3_xxs} and {@code dequantize_row_iq3_s}, one block each: every 4 values are one
 * grid point; 8 signs cover two points.
 */
final class Iq3Decoders {
    private Iq3Decoders() {}

    /** IQ3_XXS (98 bytes): d; qs[64] grid indices; per 32 values a u32 of 4×7 sign bits and the scale in bits 28..31 (d·(0.5+s)·0.5). */
    static void iq3xxs(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        int qs = off + 2, scalesAndSigns = off + 66;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int aux = i32(b, scalesAndSigns + 4 * ib32);
            float db = d * (0.5f + (aux >>> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l) {
                byte signs = Grids.SIGNS[(aux >>> 7 * l) & 127];
                int o = yOff + 32 * ib32 + 8 * l;
                fourValues(Grids.IQ3_XXS, b[qs + 8 * ib32 + 2 * l] & 0xFF, signs, 0, db, y, o);
                fourValues(Grids.IQ3_XXS, b[qs + 8 * ib32 + 2 * l + 1] & 0xFF, signs, 4, db, y, o + 4);
            }
        }
    }

    /** IQ3_S (110 bytes): d; qs[64] index low bits; qh[8] 9th bits; signs[32]; scales[4] (two 4-bit, d·(1+2s)). */
    static void iq3s(byte[] b, int off, float[] y, int yOff) {
        float d = half(b, off);
        int qs = off + 2, qh = off + 66, signs = off + 74, scales = off + 106;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int sc = b[scales + ib32 / 2] & 0xFF;
            float db = d * (1 + 2 * ((ib32 & 1) == 0 ? sc & 0xf : sc >> 4));
            int h = b[qh + ib32] & 0xFF;
            for (int l = 0; l < 4; ++l) {
                byte s = b[signs + 4 * ib32 + l];
                int o = yOff + 32 * ib32 + 8 * l;
                fourValues(Grids.IQ3_S, (b[qs + 8 * ib32 + 2 * l] & 0xFF) | ((h << (8 - 2 * l)) & 256), s, 0, db, y, o);
                fourValues(Grids.IQ3_S, (b[qs + 8 * ib32 + 2 * l + 1] & 0xFF) | ((h << (7 - 2 * l)) & 256), s, 4, db, y, o + 4);
            }
        }
    }

    /** One 4-value point with sign bits {@code firstSign..firstSign+3}: {@code db * grid[j] * (±1)}. */
    private static void fourValues(byte[] grid, int index, byte signs, int firstSign, float db, float[] y, int yOff) {
        for (int j = 0; j < 4; ++j) {
            float v = db * grid[4 * index + j];
            y[yOff + j] = (signs & (1 << (firstSign + j))) != 0 ? -v : v;
        }
    }
}
