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

    private Q50R4Kernel() {
        super(KQuantR4Kernel.N4, 32, 4, false);
    }

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        if (L == 16) group16(data, off, cols, ex, out, o, scratch);
        else group8(data, off, cols, ex, out, o, scratch);
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
                // q − 16: the nibble, with its fifth bit (qh bit c for low nibbles, c + 4 for high) at bit 4
                ByteVector hl = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c).reinterpretAsBytes().and((byte) 1);
                ByteVector hh = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c + 4).reinterpretAsBytes().and((byte) 1);
                ByteVector lo = v.and((byte) 15).or(hl.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()).sub((byte) 16);
                ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 15)
                        .or(hh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()).sub((byte) 16);
                blk = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c), blk);
                blk = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c + 16), blk);
            }
            acc = blk.fma(rowScales(data, bo, scratch).rearrange(S0), acc);
        }
        acc.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 0);
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
                for (int half = 0; half < 2; half++) {
                    ByteVector v = half == 0 ? v0 : v1, qh = half == 0 ? qh0 : qh1;
                    ByteVector hl = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c).reinterpretAsBytes().and((byte) 1);
                    ByteVector hh = qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, c + 4).reinterpretAsBytes().and((byte) 1);
                    ByteVector lo = v.and((byte) 15).or(hl.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()).sub((byte) 16);
                    ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 15)
                            .or(hh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()).sub((byte) 16);
                    FloatVector p = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(xh,
                            ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(xl));
                    if (half == 0) blk0 = blk0.add(p);
                    else blk1 = blk1.add(p);
                }
            }
            FloatVector d = rowScales(data, bo, scratch);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S2), acc1);
        }
        acc0.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 0);
        acc1.intoArray(scratch, 16);
        sumRows(scratch, 16, out, o, 2);
    }
}
