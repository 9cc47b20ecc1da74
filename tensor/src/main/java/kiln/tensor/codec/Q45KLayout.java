package kiln.tensor.codec;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.getScaleMinK4;
import static kiln.tensor.codec.QuantMath.nearestInt;

/**
 * The block layout steps Q4_K and Q5_K share in ggml and in ik_llama.cpp ({@code quantize_row_q{4,5}_K_*}):
 * re-quantizing each sub-block against the stored 6-bit scales and packing the levels (low nibbles, and for Q5_K
 * the fifth bit in {@code qh}). Only the search for the scales differs between the two tools; these steps do not.
 */
public final class Q45KLayout {
    private Q45KLayout() {}

    /** Byte offsets in a block: d, dmin, the 12 packed scale bytes, and (Q5_K) qh. */
    public static final int D = 0, DMIN = 2, SCALES = 4, QH = 16;

    /** Offset of the 4-bit quants: after qh for Q5_K. */
    public static int qsOffset(boolean fiveBit) {
        return fiveBit ? 48 : 16;
    }

    /** Re-quantizes each sub-block against the stored scales; a zero scale keeps the first-pass levels. */
    public static void requantize(float[] x, int xb, byte[] out, int o, byte[] L, int nmax) {
        float dAll = BlockCodec.half(out, o + D), mAll = BlockCodec.half(out, o + DMIN);
        for (int j = 0; j < 8; ++j) {
            int scMin = getScaleMinK4(j, out, o + SCALES);
            float d = dAll * (scMin & 0xFF);
            if (d == 0) continue;
            float dm = mAll * (scMin >> 8);
            for (int ii = 0; ii < 32; ++ii) {
                int l = nearestInt((x[xb + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /** Packs the 256 levels of a block: pairs of nibbles 32 apart, and for Q5_K the fifth bit into qh. */
    public static void pack(byte[] L, byte[] out, int o, boolean fiveBit) {
        if (fiveBit) for (int k = 0; k < 32; k++) out[o + QH + k] = 0;
        int q = o + qsOffset(fiveBit);
        int m1 = 1, m2 = 2;
        for (int c = 0; c < QK_K; c += 64) {
            for (int l = 0; l < 32; ++l) {
                int l1 = L[c + l] & 0xFF, l2 = L[c + l + 32] & 0xFF;
                if (fiveBit) {
                    if (l1 > 15) { l1 -= 16; out[o + QH + l] |= (byte) m1; }
                    if (l2 > 15) { l2 -= 16; out[o + QH + l] |= (byte) m2; }
                }
                out[q + l] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
            q += 32;
        }
    }
}
