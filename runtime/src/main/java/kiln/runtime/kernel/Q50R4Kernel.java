package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import kiln.tensor.Le;

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

    private Q50R4Kernel() {}

    @Override
    int[] offsets() {
        return KQuantR4Kernel.N4;
    }

    @Override
    int blockColumns() {
        return 32;
    }

    @Override
    void rows(MemorySegment data, long rowBytes, long r0, long r1, int cols, float[] ex, float[] out, int outOff, float[] scratch) {
        for (long r = r0; r < r1; r += 4) {
            long off = r * rowBytes;
            if (L == 16) group16(data, off, cols, ex, out, outOff + (int) r, scratch);
            else group8(data, off, cols, ex, out, outOff + (int) r, scratch);
        }
    }

    /** q − 16 of one chunk's low or high nibbles, the fifth bit from qh bit {@code bit}. */
    private static FloatVector values(ByteVector v, boolean high, ByteVector qh, int bit) {
        ByteVector q = high ? shiftRight(v, 4) : v.and((byte) 15);
        ByteVector h = ByteLanes.shiftLeft((bit == 0 ? qh : shiftRight(qh, bit)).and((byte) 1), 4);
        return floats(q.or(h).sub((byte) 16));
    }

    /** The rows' d in scratch[0..4), as a vector for the spreads. */
    private static FloatVector rowScales(MemorySegment data, long bo, float[] scratch) {
        for (int k = 0; k < 4; k++) scratch[k] = Float.float16ToFloat(data.get(Le.SHORT, bo + 2L * k));
        return FloatVector.fromArray(F, scratch, 0);
    }

    private static void group16(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / 32; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            int e = b * EXPANDED;
            ByteVector qh = ByteVector.fromMemorySegment(B, data, bo + 8, LE);
            FloatVector blk = FloatVector.zero(F);
            for (int c = 0; c < 4; c++) {
                ByteVector v = ByteVector.fromMemorySegment(B, data, bo + 24 + 16L * c, LE);
                blk = values(v, false, qh, c).fma(FloatVector.fromArray(F, ex, e + 32 * c), blk);
                blk = values(v, true, qh, c + 4).fma(FloatVector.fromArray(F, ex, e + 32 * c + 16), blk);
            }
            acc = blk.fma(rowScales(data, bo, scratch).rearrange(S0), acc);
        }
        sumRows(acc, out, o, 0, scratch);
    }

    private static void group8(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < cols / 32; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            int e = b * EXPANDED;
            ByteVector qh0 = ByteVector.fromMemorySegment(B, data, bo + 8, LE), qh1 = ByteVector.fromMemorySegment(B, data, bo + 16, LE);
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
            for (int c = 0; c < 4; c++) {
                FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
                ByteVector v0 = ByteVector.fromMemorySegment(B, data, bo + 24 + 16L * c, LE), v1 = ByteVector.fromMemorySegment(B, data, bo + 32 + 16L * c, LE);
                blk0 = values(v0, true, qh0, c + 4).fma(xh, values(v0, false, qh0, c).fma(xl, blk0));
                blk1 = values(v1, true, qh1, c + 4).fma(xh, values(v1, false, qh1, c).fma(xl, blk1));
            }
            FloatVector d = rowScales(data, bo, scratch);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S2), acc1);
        }
        sumRows(acc0, out, o, 0, scratch);
        sumRows(acc1, out, o, 2, scratch);
    }
}
