package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.ik.IqkTables;

/**
 * Block decoders of ik's IQ6_K, IQ4_KSS and IQ2_KL for {@link IqkDots}' shared level loop: each 256-value block
 * becomes 256 int8 levels and 16 scales (one per 16 values), level × scale being the value bit for bit.
 * <ul>
 * <li>IQ6_K: a 6-bit index into the 64-level int8 table ik's kernels read ({@code iq6nl_values}, +1 where the block is
 * shifted) as four 16-lane byte lookups and two selects by the 2 high bits. ik's {@code dequantize_row_iq6_k}
 * evaluates the cubic the table rounds instead; the runtime computes what ik's matrix multiplication does, so the
 * oracle is the codec's kernel view ({@code IkKernelCodecs.forRuntime}).</li>
 * <li>IQ4_KSS: each 16-byte block of 32 values unscrambled ({@code a ^ (a >> 1)} on its 8 u16 words, the low bit of
 * each word being one bit of the block's scale byte) to IQ4_KS's nibbles, looked up in IQ4_K's table.</li>
 * <li>IQ2_KL: a 5-bit index into 32 grid points, each two IQ3_K levels: one 16-bit lane per point (first level low,
 * second high) from two 16-lane short lookups and a select by the 5th bit, read back as 32 interleaved bytes.</li>
 * </ul>
 * The scalar oracles are the codecs ({@code kiln.tensor.codec.ik.IkIq4Kss}, {@code IkIq2Kl}, IQ6_K as ik's kernels
 * read it), whose {@code dequantize_row_*} these mirror field by field. Every vector stays inside one method whose
 * parameters are scalars and arrays (a vector crossing a call C2 does not inline is boxed).
 */
final class IkTableLevels {
    private IkTableLevels() {}

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final ByteVector ZERO = ByteVector.zero(B16);
    private static final ShortVector ZERO_S = ShortVector.zero(S16);

    private static final byte[] IQ6 = IqkTables.plain(GgmlType.IQ6_K);
    private static final ByteVector IQ6_0 = ByteVector.fromArray(B16, IQ6, 0), IQ6_1 = ByteVector.fromArray(B16, IQ6, 16),
            IQ6_2 = ByteVector.fromArray(B16, IQ6, 32), IQ6_3 = ByteVector.fromArray(B16, IQ6, 48);
    private static final byte IQ6_SHIFT = (byte) IqkTables.shift(GgmlType.IQ6_K);

    private static final ByteVector IQ4_TABLE = ByteVector.fromArray(B16, IqkTables.plain(GgmlType.IQ4_K), 0);
    private static final byte IQ4_SHIFT = (byte) IqkTables.shift(GgmlType.IQ4_K);

    /** IQ2_KL's points 0..15 and 16..31 as shorts: first level in the low byte, second in the high byte. */
    private static final ShortVector IQ2KL_LOW = pairs(0), IQ2KL_HIGH = pairs(16);

    private static ShortVector pairs(int first) {
        byte[] p = IqkTables.iq2klPairs();
        short[] s = new short[16];
        for (int i = 0; i < 16; i++) s[i] = (short) ((p[2 * (first + i)] & 0xFF) | p[2 * (first + i) + 1] << 8);
        return ShortVector.fromArray(S16, s, 0);
    }

    private static float half(byte[] b, int o) {
        return Fp16.halfToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    // ---- IQ6_K ----

    /**
     * IQ6_K, 212 bytes: d (fp16), extra (u16: bit g = the 16 values of group g use the shifted table), scales[16]
     * (int8), qs[128] (4 low index bits), qh[64] (2 high bits).
     */
    static void iq6k(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = half(b, o);
        int extra = u16(b, o + 2);
        for (int ib64 = 0; ib64 < 4; ib64++) {
            for (int k = 0; k < 4; k++) {
                int g = 4 * ib64 + k, half = 16 * (k % 2);
                sc[g] = d * b[o + 4 + g];
                iq6Levels(b, o + 20 + 32 * ib64 + half, 4 * (k / 2), o + 148 + 32 * (ib64 / 2) + half, 4 * (ib64 % 2) + 2 * (k / 2),
                        extra >> g, lv, lo + 16 * g);
            }
        }
    }

    /**
     * 16 IQ6_K levels: low index bits at bit {@code shift} of b[q..], the 2 high at bit {@code hShift} of b[h..]; the
     * 6-bit index looks up levels 0..31 and 32..63 with two two-table byte shuffles, the 6th bit picks one.
     */
    private static void iq6Levels(byte[] b, int q, int shift, int h, int hShift, int shifted, byte[] lv, int o) {
        // bytes shifted through 16-bit lanes, then masked (what crossed over from the next byte masked off)
        ByteVector low = ByteVector.fromArray(B16, b, q).reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0xf);
        ByteVector high = ByteVector.fromArray(B16, b, h).reinterpretAsShorts().lanewise(VectorOperators.LSHR, hShift).reinterpretAsBytes().and((byte) 3);
        ByteVector idx = low.or(high.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()); // no byte exceeds 0x3f
        ByteVector bit6 = ZERO.sub(high.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 1).reinterpretAsBytes()); // all-ones where set
        ByteVector first = idx.selectFrom(IQ6_0, IQ6_1), second = idx.selectFrom(IQ6_2, IQ6_3); // index mod 32
        first.add(second.sub(first).and(bit6)).add((byte) ((shifted & 1) * IQ6_SHIFT)).intoArray(lv, o);
    }

    // ---- IQ4_KSS ----

    /**
     * IQ4_KSS, after the row's f32 scale d, 128 bytes: 8 blocks of 32 values, each 8 u16 words (bit 0 of word k: bit
     * k of the block's scale byte, whose bit 0 picks the shifted table and bits 1..7 are the scale + 127).
     */
    static void iq4kss(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 8; ib++) {
            int ls = iq4kssLevels(b, o + 16 * ib, lv, lo + 32 * ib);
            sc[2 * ib] = sc[2 * ib + 1] = d * ((ls & 254) - 127);
        }
    }

    /**
     * 32 IQ4_KSS levels from the 8 words at b[w..]: unscrambled to 16 bytes of nibbles (low: values 0..15, high:
     * 16..31); returns the block's scale byte, the words' low bits gathered as a lane mask.
     */
    private static int iq4kssLevels(byte[] b, int w, byte[] lv, int o) {
        ShortVector words = ByteVector.fromArray(B16, b, w).reinterpretAsShorts();
        int ls = (int) words.and((short) 1).compare(VectorOperators.NE, (short) 0).toLong();
        ShortVector a = words.and((short) 0xfffe);
        ByteVector nibbles = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 1)).reinterpretAsBytes();
        byte shift = (byte) ((ls & 1) * IQ4_SHIFT);
        nibbles.and((byte) 0xf).selectFrom(IQ4_TABLE).add(shift).intoArray(lv, o);
        nibbles.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xf).selectFrom(IQ4_TABLE).add(shift)
                .intoArray(lv, o + 16);
        return ls;
    }

    // ---- IQ2_KL ----

    /**
     * IQ2_KL, after the row's fp16 scale d, 86 bytes: scales_h (u16, 2 high bits per 32 values), scales_l[4] (4 low
     * bits; 6-bit scales − 32), qs[64] (4 low index bits per pair), qh[16] (5th bits). Pair j of each 32 values takes
     * values 2j and 2j + 1.
     */
    static void iq2kl(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        int sh = u16(b, o);
        for (int ib64 = 0; ib64 < 4; ib64++) {
            int nibble = 4 * (ib64 / 2);
            float dl1 = d * ((((b[o + 2 + (2 * ib64) % 4] & 0xFF) >> nibble) & 0xf | ((sh >> 4 * ib64) & 3) << 4) - 32);
            float dl2 = d * ((((b[o + 2 + (2 * ib64 + 1) % 4] & 0xFF) >> nibble) & 0xf | ((sh >> 4 * ib64 + 2) & 3) << 4) - 32);
            sc[4 * ib64] = sc[4 * ib64 + 1] = dl1;
            sc[4 * ib64 + 2] = sc[4 * ib64 + 3] = dl2;
            int q = o + 6 + 16 * ib64;
            iq2klLevels(b, q, 0, o + 70, 2 * ib64, lv, lo + 64 * ib64);
            iq2klLevels(b, q, 4, o + 70, 2 * ib64 + 1, lv, lo + 64 * ib64 + 32);
        }
    }

    /** 16 IQ2_KL pairs (32 levels): 4 index bits at bit {@code shift} of b[q..], the 5th at bit {@code hBit} of b[h..]. */
    private static void iq2klLevels(byte[] b, int q, int shift, int h, int hBit, byte[] lv, int o) {
        ByteVector q4 = ByteVector.fromArray(B16, b, q).reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0xf);
        ByteVector h1 = ByteVector.fromArray(B16, b, h).reinterpretAsShorts().lanewise(VectorOperators.LSHR, hBit).reinterpretAsBytes().and((byte) 1);
        ShortVector idx = (ShortVector) q4.convertShape(VectorOperators.B2S, S16, 0);
        ShortVector fifth = (ShortVector) h1.convertShape(VectorOperators.B2S, S16, 0);
        ShortVector low = idx.selectFrom(IQ2KL_LOW), high = idx.selectFrom(IQ2KL_HIGH);
        low.add(high.sub(low).and(ZERO_S.sub(fifth))).reinterpretAsBytes().intoArray(lv, o);
    }
}
