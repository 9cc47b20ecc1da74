package kiln.tensor.repack;

import static kiln.tensor.repack.BlockInterleaver.getInt;
import static kiln.tensor.repack.BlockInterleaver.highNibbles;
import static kiln.tensor.repack.BlockInterleaver.lowNibbles;
import static kiln.tensor.repack.BlockInterleaver.putInt;
import static kiln.tensor.repack.BlockInterleaver.u8;

/**
 * The N4 order (spec §2.3) in which the R4 K-quant types store the low 4 bits of a 32-element block: row k's block
 * takes bytes {@code p + 16m + i} (m, i = 0..3) of the interleaved block, byte {@code 16m + 4k + i} holding element
 * {@code i + OFFSET[m]} in its low nibble and element {@code i + OFFSET[m] + 8} in its high nibble. In the base
 * blocks these 4-bit values are one nibble plane (low or high nibbles) of 32 consecutive bytes (K-quants), or a
 * 16-byte block whose byte j holds element j in its low nibble and element j + 16 in its high one (IQ4_NL, IQ4_K).
 */
final class N4 {
    /** Element offset (within a 32-block, added to i) of the low nibble of byte slot m = 0..3. */
    static final int[] OFFSET = {0, 16, 4, 20};

    private N4() {}

    /** Row k's block at {@code y[p]} (p includes {@code 4k}) from the low or high nibbles of the 32 bytes at {@code x[q]}. */
    static void pack(byte[] x, int q, boolean high, byte[] y, int p) {
        for (int m = 0; m < 4; m++) {
            int a = getInt(x, q + OFFSET[m]), b = getInt(x, q + OFFSET[m] + 8);
            putInt(y, p + 16 * m, high ? highNibbles(a, b) : lowNibbles(a, b));
        }
    }

    /** The 32 bytes at {@code x[q]}: low nibbles from row k's block at {@code y[p0]}, high nibbles from the one at {@code y[p1]}. */
    static void unpack(byte[] y, int p0, int p1, byte[] x, int q) {
        for (int m = 0; m < 4; m++) {
            int lo = getInt(y, p0 + 16 * m), hi = getInt(y, p1 + 16 * m);
            putInt(x, q + OFFSET[m], lowNibbles(lo, hi));
            putInt(x, q + OFFSET[m] + 8, highNibbles(lo, hi));
        }
    }

    /** Row k's block at {@code y[p]} (p includes {@code 4k}) from the 16-byte block at {@code x[q]}. */
    static void pack16(byte[] x, int q, byte[] y, int p) {
        int a = getInt(x, q), b = getInt(x, q + 8), c = getInt(x, q + 4), e = getInt(x, q + 12);
        putInt(y, p, lowNibbles(a, b));
        putInt(y, p + 16, highNibbles(a, b));
        putInt(y, p + 32, lowNibbles(c, e));
        putInt(y, p + 48, highNibbles(c, e));
    }

    /** Inverse of {@link #pack16}. */
    static void unpack16(byte[] y, int p, byte[] x, int q) {
        int s0 = getInt(y, p), s1 = getInt(y, p + 16), s2 = getInt(y, p + 32), s3 = getInt(y, p + 48);
        putInt(x, q, lowNibbles(s0, s1));
        putInt(x, q + 8, highNibbles(s0, s1));
        putInt(x, q + 4, lowNibbles(s2, s3));
        putInt(x, q + 12, highNibbles(s2, s3));
    }

    /** The 32 four-bit values of row k's block at {@code y[p]} into {@code L[e..e+32)}. */
    static void values(byte[] y, int p, int[] L, int e) {
        for (int i = 0; i < 4; i++) {
            for (int m = 0; m < 4; m++) {
                int q = u8(y, p + i + 16 * m);
                L[e + i + OFFSET[m]] = q & 0xF;
                L[e + i + OFFSET[m] + 8] = q >> 4;
            }
        }
    }
}
