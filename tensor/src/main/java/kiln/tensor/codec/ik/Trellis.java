package kiln.tensor.codec.ik;

/**
 * The trellis value generator shared by ik's IQ1_KT, IQ2_KT, IQ3_KT and IQ4_KT: {@code QuantizerIQKT::set_values}
 * with {@code is_int = true} ({@code iqk/iqk_quantize.cpp}), the variant all four types use. A group of 8 (4 for
 * IQ4_KT) values is generated from one index: {@code x = index + offset}, then per value {@code x = 0xCBAC1FED·x}
 * (mod 2^32), and the value is the sum of the four bytes of {@code x & 0x3f3f3f3f} minus 126 — an integer in
 * [−126, 126], exact in a float — times the scale, one float product (IQ3_KT takes the absolute value first).
 */
public final class Trellis {
    private Trellis() {}

    /** The offset added to every index (IQ4_KT's second table adds 32768 more). */
    public static final int OFFSET = 4096;

    /** IQ4_KT's second table. */
    public static final int SECOND_OFFSET = OFFSET + 32768;

    /** The generator's multiplier: value k of a group comes from {@code (index + offset)·MULTIPLIER^(k+1)} (mod 2^32). */
    public static final int MULTIPLIER = 0xCBAC1FED;

    /** {@code set_values(index, y + yOff, scale, offset)}: {@code count} values into {@code y[yOff..)}. */
    static void group(int index, int offset, float scale, boolean absolute, int count, float[] y, int yOff) {
        int x = index + offset;
        for (int k = 0; k < count; k++) {
            x *= MULTIPLIER;
            int s = x & 0x3f3f3f3f;
            float v = (s & 0xff) + ((s >>> 8) & 0xff) + ((s >>> 16) & 0xff) + (s >>> 24) - 126.f;
            y[yOff + k] = scale * (absolute ? Math.abs(v) : v);
        }
    }

    /**
     * A 12-bit index whose low 8 bits are {@code ql[j]} and high 4 bits a nibble of {@code qh[j mod half]} (the low
     * nibble for the first half of the groups, the high one for the second), as IQ1_KT and IQ4_KT store it:
     * {@code ql[j] | ((qh[j % half] << (8 − 4·(j / half))) & 0xf00)}.
     */
    static int index12(byte[] b, int ql, int qh, int j, int half) {
        return (b[ql + j] & 0xff) | (((b[qh + j % half] & 0xff) << (8 - 4 * (j / half))) & 0xf00);
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static int u32(byte[] b, int off) {
        return u16(b, off) | u16(b, off + 2) << 16;
    }
}
