package kiln.tensor.repack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The two byte forms of Q8_K_R8 (spec ik-llama-formats.md §2.4). ik quantizes to Q8_K_R8 through
 * {@code quantize_row_q8_K32}, whose AVX2 path writes {@code d = amax/127 ≥ 0} while its scalar (non-AVX2) path writes
 * {@code d = −max/127} (max = the signed value of largest magnitude), i.e. the same block with d and all quants negated
 * when max &gt; 0. Both dequantize to the same values, and Kiln reads both.
 *
 * <p><b>Kiln's canonical form is the AVX2 one</b> (the reference files were made on an AVX2/AVX512 machine, which is
 * what almost every x86 build uses): the sign bit of every row's fp16 d is clear. {@link #canonicalizeR8} turns
 * scalar-form groups into it.
 */
public final class Q8KForms {
    private Q8KForms() {}

    /**
     * Rewrites one Q8_K_R8 group at {@code seg[off]} in place into the canonical form: for every row whose d has its
     * sign bit set, clears it and negates that row's quants. A row with a quant of −128 (which neither ik path writes)
     * cannot be negated and is left as it is.
     *
     * @return the number of (row, block) pairs changed
     */
    public static int canonicalizeR8(MemorySegment seg, long off, long nPerRow) {
        int changed = 0;
        long blocks = nPerRow / 256;
        for (long ib = 0; ib < blocks; ib++) {
            long b = off + ib * 2064;
            for (int k = 0; k < 8; k++) {
                short d = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, b + 2 * k);
                if (d >= 0 || hasMinus128(seg, b, k)) continue;
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, b + 2 * k, (short) (d & 0x7FFF));
                for (int j = 0; j < 64; j++) {
                    for (int i = 0; i < 4; i++) {
                        long p = b + 16 + 32L * j + 4 * k + i;
                        seg.set(ValueLayout.JAVA_BYTE, p, (byte) -seg.get(ValueLayout.JAVA_BYTE, p));
                    }
                }
                changed++;
            }
        }
        return changed;
    }

    private static boolean hasMinus128(MemorySegment seg, long b, int k) {
        for (int j = 0; j < 64; j++) {
            for (int i = 0; i < 4; i++) {
                if (seg.get(ValueLayout.JAVA_BYTE, b + 16 + 32L * j + 4 * k + i) == Byte.MIN_VALUE) return true;
            }
        }
        return false;
    }
}
