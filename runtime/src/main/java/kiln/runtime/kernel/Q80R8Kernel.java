package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import kiln.tensor.Le;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0_R8 (eight interleaved Q8_0 rows) in place. Block of 272 bytes per 32 columns: {@code fp16 d[8]; i8
 * qs[256]}; the 32-byte chunk l holds row k's elements {@code OFFSETS[l] + i} at byte 4k+i (chunks 0..3:
 * elements 0..15, chunks 4..7: 16..31). Value d·q.
 */
final class Q80R8Kernel extends InterleavedKernel {
    private static final int[] OFFSETS = {0, 4, 8, 12, 16, 20, 24, 28};
    static final Q80R8Kernel INSTANCE = new Q80R8Kernel();
    private static final int BLOCK_BYTES = 272;
    private static final VectorShuffle<Float> S0 = spread(0), S2 = spread(2), S4 = spread(4), S6 = spread(6);

    private Q80R8Kernel() {
        super(OFFSETS, 32, 8, false);
    }

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        if (L == 16) group16(data, off, cols, ex, out, o, scratch);
        else group8(data, off, cols, ex, out, o, scratch);
    }

    /** The eight rows' d of a block in scratch[0..8) (the lanes after them are not read by the spreads). */
    private static FloatVector rowScales(MemorySegment data, long bo, float[] scratch) {
        for (int k = 0; k < 8; k++) scratch[k] = Float.float16ToFloat(data.get(Le.SHORT, bo + 2L * k));
        return FloatVector.fromArray(F, scratch, 0);
    }

    private static void group16(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < cols / 32; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            int e = b * EXPANDED;
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
            for (int l = 0; l < 8; l++) {
                FloatVector x = FloatVector.fromArray(F, ex, e + 16 * l);
                blk0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, bo + 16 + 32L * l, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk0); // rows 0..3
                blk1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, bo + 32 + 32L * l, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk1); // rows 4..7
            }
            FloatVector d = rowScales(data, bo, scratch);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S4), acc1);
        }
        acc0.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 0);
        acc1.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 4);
    }

    private static void group8(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < cols / 32; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            int e = b * EXPANDED;
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0, blk2 = blk0, blk3 = blk0;
            for (int l = 0; l < 8; l++) {
                FloatVector x = FloatVector.fromArray(F, ex, e + 16 * l);
                long q = bo + 16 + 32L * l;
                blk0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, q, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk0);
                blk1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, q + 8, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk1);
                blk2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, q + 16, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk2);
                blk3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, q + 24, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x, blk3);
            }
            FloatVector d = rowScales(data, bo, scratch);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S2), acc1);
            acc2 = blk2.fma(d.rearrange(S4), acc2);
            acc3 = blk3.fma(d.rearrange(S6), acc3);
        }
        acc0.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 0);
        acc1.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 2);
        acc2.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 4);
        acc3.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 6);
    }
}
