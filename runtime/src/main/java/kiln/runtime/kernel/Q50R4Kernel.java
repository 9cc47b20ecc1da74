package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import java.lang.foreign.MemorySegment;

/**
 * Q5_0_R4 (four interleaved Q5_0 rows) in place. Block of 88 bytes per 32 columns: {@code fp16 d[4]; u8 qh[16];
 * u8 qs[64]}; qs in {@link KQuantR4Kernel#N4} order, and byte 4k+i of qh holds the fifth bits of row k's elements
 * i, 16+i, 4+i, 20+i, 8+i, 24+i, 12+i, 28+i (bits 0..7): chunk c's low nibbles take bit c, its high nibbles bit
 * c + 4. Value d·(q − 16).
 */
final class Q50R4Kernel extends InterleavedKernel {
    static final Q50R4Kernel INSTANCE = new Q50R4Kernel();
    private static final int BLOCK_BYTES = 88;
    private static final VectorShuffle<Float> S0 = spread(0), S2 = spread(2);

    private Q50R4Kernel() {
        super(KQuantR4Kernel.N4, 32, 4, false);
    }

    /** Scratch slots: the accumulators from ACC, the staged blocks' d from DS (ROWS per block). */
    private static final int ACC = 16, DS = 48, ROWS = 4;

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        int nb = cols / 32, per = Math.min(stagedUnits(BLOCK_BYTES), (SCRATCH - DS - 16) / ROWS);
        java.util.Arrays.fill(s, ACC, ACC + 16, 0f);
        for (int b0 = 0; b0 < nb; b0 += per) {
            int n = Math.min(per, nb - b0);
            stage(data, off + (long) BLOCK_BYTES * b0, BLOCK_BYTES, n, stage);
            rowScales(stage, n, s);
            if (L == 16) blocks16(stage, n, ex, b0 * EXPANDED, s);
            else blocks8(stage, n, ex, b0 * EXPANDED, s);
        }
        sumRows(s, ACC, out, o, 0);
        if (L == 8) sumRows(s, ACC + 8, out, o, 2);
    }

    /**
     * The rows' d of the {@code n} staged blocks into scratch[DS + ROWS·b + k], all before the blocks are multiplied:
     * a vector load right after the scalar stores it covers would wait for them (no store forwarding).
     */
    private static void rowScales(byte[] buf, int n, float[] s) {
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < ROWS; k++) s[DS + ROWS * b + k] = f16(buf, BLOCK_BYTES * b + 2 * k);
        }
    }

    /** The {@code n} staged blocks against ex[e..), added to the accumulator in scratch. */
    private static void blocks16(byte[] buf, int n, float[] ex, int e, float[] s) {
        FloatVector acc = FloatVector.fromArray(F, s, ACC);
        for (int b = 0; b < n; b++) {
            int bo = BLOCK_BYTES * b, x = e + b * EXPANDED;
            ByteVector qh = ByteVector.fromArray(B, buf, bo + 8);
            FloatVector lo = FloatVector.zero(F), hi = lo;
            for (int c = 0; c < 4; c++) {
                ByteVector v = ByteVector.fromArray(B, buf, bo + 24 + 16 * c);
                // q − 16: the nibble, with its fifth bit (qh bit c for low nibbles, c + 4 for high) moved to bit 4
                ByteVector hl = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - c).reinterpretAsBytes().and((byte) 0x10);
                ByteVector hh = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c).reinterpretAsBytes().and((byte) 0x10);
                ByteVector l = v.and((byte) 15).or(hl).sub((byte) 16);
                ByteVector h = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 15).or(hh).sub((byte) 16);
                lo = ((FloatVector) l.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, x + 32 * c), lo);
                hi = ((FloatVector) h.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, x + 32 * c + 16), hi);
            }
            acc = lo.add(hi).fma(FloatVector.fromArray(F, s, DS + ROWS * b).rearrange(S0), acc);
        }
        acc.intoArray(s, ACC);
    }

    /** {@link #blocks16} at 8 lanes: rows 0, 1 in the first 8 bytes of each chunk (and of qh), rows 2, 3 in the next 8. */
    private static void blocks8(byte[] buf, int n, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.fromArray(F, s, ACC), acc1 = FloatVector.fromArray(F, s, ACC + 8);
        for (int b = 0; b < n; b++) {
            int bo = BLOCK_BYTES * b, x = e + b * EXPANDED;
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
            for (int half = 0; half < 2; half++) {
                ByteVector qh = ByteVector.fromArray(B, buf, bo + 8 + 8 * half);
                FloatVector blk = FloatVector.zero(F);
                for (int c = 0; c < 4; c++) {
                    FloatVector xl = FloatVector.fromArray(F, ex, x + 16 * c), xh = FloatVector.fromArray(F, ex, x + 16 * c + 8);
                    ByteVector v = ByteVector.fromArray(B, buf, bo + 24 + 16 * c + 8 * half);
                    ByteVector hl = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - c).reinterpretAsBytes().and((byte) 0x10);
                    ByteVector hh = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c).reinterpretAsBytes().and((byte) 0x10);
                    ByteVector l = v.and((byte) 15).or(hl).sub((byte) 16);
                    ByteVector h = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 15).or(hh).sub((byte) 16);
                    blk = ((FloatVector) h.convertShape(VectorOperators.B2F, F, 0)).fma(xh, ((FloatVector) l.convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk));
                }
                if (half == 0) blk0 = blk;
                else blk1 = blk;
            }
            FloatVector d = FloatVector.fromArray(F, s, DS + ROWS * b);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S2), acc1);
        }
        acc0.intoArray(s, ACC);
        acc1.intoArray(s, ACC + 8);
    }
}
