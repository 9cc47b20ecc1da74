package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.ik.IqkTables;
import kiln.tensor.codec.ik.Trellis;

/**
 * Block decoders of ik's trellis types (IQ1_KT, IQ2_KT, IQ3_KT, IQ4_KT) for {@link IqkDots}' shared level loop: each
 * 256-value block becomes 256 int8 levels and 16 scales (one per 16 values). ik's generator makes value k of a group
 * from {@code x = (index + offset)·M^(k+1)} (mod 2^32) as the byte sum of {@code x & 0x3f3f3f3f} minus 126 — an integer
 * in [−126, 126], so one int8 level; here the 8 values of a group (two groups of 4 for IQ4_KT) are one 8-lane integer
 * multiply by the powers of M, the byte sum one multiply by 0x01010101. The value is level × (row scale · block scale),
 * bit for bit the codec's ({@code kiln.tensor.codec.ik.IkIq*Kt}, the scalar oracle, with ik's kernel factor on the row
 * scale, {@code IkKernelCodecs}). Every vector stays inside one method (a vector crossing a call C2 does not
 * inline is boxed).
 */
final class TrellisLevels {
    private TrellisLevels() {}

    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final byte[] IQ4K = IqkTables.plain(GgmlType.IQ4_K);
    /** M^1 … M^8, and M^1 … M^4 twice (two 4-value groups per vector). */
    private static final IntVector POWERS8 = powers(8), POWERS4 = powers(4);
    private static final VectorMask<Integer> HIGH4 = VectorMask.fromLong(I8, 0xF0);

    private static IntVector powers(int period) {
        int[] p = new int[8];
        for (int k = 0; k < 8; k++) {
            int m = Trellis.MULTIPLIER;
            for (int j = 0; j < k % period; j++) m *= Trellis.MULTIPLIER;
            p[k] = m;
        }
        return IntVector.fromArray(I8, p, 0);
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    private static int u32(byte[] b, int o) {
        return u16(b, o) | u16(b, o + 2) << 16;
    }

    /** IQ2_KT (68 bytes): 4 bytes of two 4-bit block scales (IQ4_K's values), 32 u16 indices; rows × 1.05 in ik's kernels. */
    static void iq2kt(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 4; ib++) {
            int s = b[o + ib] & 0xff;
            sc[2 * ib] = sc[2 * ib + 1] = d * IQ4K[s & 0xf];
            sc[8 + 2 * ib] = sc[9 + 2 * ib] = d * IQ4K[s >> 4];
        }
        for (int g = 0; g < 32; g++) {
            IntVector x = IntVector.broadcast(I8, u16(b, o + 4 + 2 * g) + Trellis.OFFSET).mul(POWERS8);
            IntVector v = x.and(0x3f3f3f3f).mul(0x01010101).lanewise(VectorOperators.LSHR, 24).sub(126);
            ((ByteVector) v.convertShape(VectorOperators.I2B, B8, 0)).intoArray(lv, lo + 8 * g);
        }
    }

    /**
     * IQ3_KT (100 bytes): 4 bytes of two 4-bit block scales, 32 u16 indices, 32 bytes of signs; the magnitudes of the
     * trellis values, negated where value j of group g's sign bit (bit ib, +4 in the upper half, of byte {@code 8(g mod 4)+j}) is set.
     */
    static void iq3kt(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 4; ib++) {
            int s = b[o + ib] & 0xff;
            sc[2 * ib] = sc[2 * ib + 1] = d * (s & 0xf);
            sc[8 + 2 * ib] = sc[9 + 2 * ib] = d * (s >> 4);
        }
        for (int g = 0; g < 32; g++) {
            IntVector x = IntVector.broadcast(I8, u16(b, o + 4 + 2 * g) + Trellis.OFFSET).mul(POWERS8);
            IntVector v = x.and(0x3f3f3f3f).mul(0x01010101).lanewise(VectorOperators.LSHR, 24).sub(126).lanewise(VectorOperators.ABS);
            int bit = (g % 16) / 4 + (g >= 16 ? 4 : 0);
            IntVector signs = (IntVector) ByteVector.fromArray(B8, b, o + 68 + 8 * (g % 4)).convertShape(VectorOperators.B2I, I8, 0);
            v = v.lanewise(VectorOperators.NEG, signs.and(1 << bit).compare(VectorOperators.NE, 0));
            ((ByteVector) v.convertShape(VectorOperators.I2B, B8, 0)).intoArray(lv, lo + 8 * g);
        }
    }

    /** IQ1_KT (56 bytes): 8 block-scale bytes (IQ4_K's value, and one index bit per group), 32 index low bytes, 16 bytes of high nibbles. */
    static void iq1kt(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 8; ib++) {
            int sh = b[o + ib] & 0xff;
            sc[2 * ib] = sc[2 * ib + 1] = d * IQ4K[sh & 0xf];
            for (int ig = 0; ig < 4; ig++) {
                int g = 4 * ib + ig;
                int index = (b[o + 8 + g] & 0xff) | (((b[o + 40 + g % 16] & 0xff) << (8 - 4 * (g / 16))) & 0xf00) | ((sh << (8 - ig)) & 0x1000);
                IntVector x = IntVector.broadcast(I8, index + Trellis.OFFSET).mul(POWERS8);
                IntVector v = x.and(0x3f3f3f3f).mul(0x01010101).lanewise(VectorOperators.LSHR, 24).sub(126);
                ((ByteVector) v.convertShape(VectorOperators.I2B, B8, 0)).intoArray(lv, lo + 8 * g);
            }
        }
    }

    /**
     * IQ4_KT (128 bytes): per 32 values a u32 (bit 0: the second table, bits 1..7: the scale + 64, then 3 index bits
     * per group of 4), 64 index low bytes, 32 bytes of high nibbles; two 4-value groups per vector.
     */
    static void iq4kt(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 8; ib++) {
            int shb = u32(b, o + 4 * ib);
            int offset = (shb & 1) != 0 ? Trellis.SECOND_OFFSET : Trellis.OFFSET;
            sc[2 * ib] = sc[2 * ib + 1] = d * (((shb & 0xff) >> 1) - 64);
            for (int ig = 0; ig < 8; ig += 2) {
                int g = 8 * ib + ig;
                int first = (b[o + 32 + g] & 0xff) | (((b[o + 96 + g % 32] & 0xff) << (8 - 4 * (g / 32))) & 0xf00)
                        | (((shb >>> (8 + 3 * ig)) & 7) << 12);
                int second = (b[o + 33 + g] & 0xff) | (((b[o + 96 + (g + 1) % 32] & 0xff) << (8 - 4 * ((g + 1) / 32))) & 0xf00)
                        | (((shb >>> (8 + 3 * (ig + 1))) & 7) << 12);
                IntVector x = IntVector.broadcast(I8, first + offset).blend(second + offset, HIGH4).mul(POWERS4);
                IntVector v = x.and(0x3f3f3f3f).mul(0x01010101).lanewise(VectorOperators.LSHR, 24).sub(126);
                ((ByteVector) v.convertShape(VectorOperators.I2B, B8, 0)).intoArray(lv, lo + 4 * g);
            }
        }
    }
}
