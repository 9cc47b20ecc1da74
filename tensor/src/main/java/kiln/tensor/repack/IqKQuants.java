package kiln.tensor.repack;

import java.util.Arrays;

import static kiln.tensor.repack.BlockInterleaver.getInt;
import static kiln.tensor.repack.BlockInterleaver.putInt;
import static kiln.tensor.repack.BlockInterleaver.u8;

/**
 * The quants of ik's IQ4_K/IQ5_K family and their KS variants, shared by {@link IqKR4} and {@link IqKsR4}: a base
 * super-block holds {@code u8 qs[128]} [IQ5: {@code u8 qh[32]}], the R4 block {@code u8 qs[512]} [IQ5:
 * {@code u8 qh[128]}]. IQ4 in {@link N4} order on the raw 16-byte block (as IQ4_NL_R4); IQ5 in N4 order on the low 4 bits
 * (as Q5_K_R4) with 5th bits in {@code qh[16ib + 4k + i]}, bits 0..7 = elements
 * {@code i, i+8, i+16, i+24, i+4, i+12, i+20, i+28}. Offsets name where {@code qs} and {@code qh} start.
 */
final class IqKQuants {
    /** Element offset (added to i) of 5th-bit b in the IQ5 R4 order. */
    private static final int[] H5 = {0, 8, 16, 24, 4, 12, 20, 28};

    private IqKQuants() {}

    /** Moves row k's quants from the base block ({@code qs} at {@code xq}, {@code qh} at {@code xh}) into the R4 block. */
    static void pack(boolean five, byte[] x, int xq, int xh, byte[] y, int yq, int yh, int k) {
        for (int ib = 0; ib < 8; ib++) {
            int p = yq + 64 * ib + 4 * k;
            if (!five) {
                N4.pack16(x, xq + 16 * ib, y, p);
            } else {
                N4.pack(x, xq + 32 * (ib >> 1), (ib & 1) != 0, y, p);
                int hb = 0;
                for (int b = 0; b < 8; b++) hb |= (getInt(x, xh + H5[b]) >>> ib & 0x01010101) << b;
                putInt(y, yh + 16 * ib + 4 * k, hb);
            }
        }
    }

    /** Inverse of {@link #pack}. */
    static void unpack(boolean five, byte[] y, int yq, int yh, byte[] x, int xq, int xh, int k) {
        if (!five) {
            for (int ib = 0; ib < 8; ib++) N4.unpack16(y, yq + 64 * ib + 4 * k, x, xq + 16 * ib);
        } else {
            for (int c = 0; c < 4; c++) {
                int p0 = yq + 128 * c + 4 * k;
                N4.unpack(y, p0, p0 + 64, x, xq + 32 * c);
            }
            Arrays.fill(x, xh, xh + 32, (byte) 0);
            for (int ib = 0; ib < 8; ib++) {
                int hb = getInt(y, yh + 16 * ib + 4 * k);
                for (int b = 0; b < 8; b++) {
                    int o = xh + H5[b];
                    putInt(x, o, getInt(x, o) | (hb >>> b & 0x01010101) << ib);
                }
            }
        }
    }

    /** The 32 quant values (4 or 5 bits) of row k's 32-block ib of the R4 block, into {@code L[0..31]}. */
    static void values(boolean five, byte[] y, int yq, int yh, int k, int ib, int[] L) {
        N4.values(y, yq + 64 * ib + 4 * k, L, 0);
        if (five) {
            for (int i = 0; i < 4; i++) {
                int hb = u8(y, yh + 16 * ib + 4 * k + i);
                for (int b = 0; b < 8; b++) L[i + H5[b]] |= (hb >> b & 1) << 4;
            }
        }
    }

    /** The non-linear value of quant {@code v} from the table selected by bit {@code select}. */
    static int value(boolean five, int select, int v) {
        return five ? IqKR4.IQ5NL[32 * select + v] : IqKR4.IQ4K[16 * select + v];
    }
}
