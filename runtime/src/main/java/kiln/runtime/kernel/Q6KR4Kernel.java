package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import kiln.tensor.Le;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K_R4 (four interleaved Q6_K rows) in place. Block of 840 bytes per 256 columns: {@code fp16 d[4]; i8
 * scales[64]; u8 qh[256]; u8 ql[512]}. 32-column block ib: {@code ql} at 64·ib in {@link KQuantR4Kernel#N4} order
 * (the low 4 bits), {@code qh} at 32·ib: byte 4k+i of its first 16 bytes holds the top 2 bits of row k's elements
 * i, i+8, i+4, i+12 (bit pairs 0, 2, 4, 6: the low and high nibbles of ql chunks 0 and 2), of the next 16 bytes
 * elements 16+i, 24+i, 20+i, 28+i (chunks 1 and 3). Value d·scale·(q − 32) with {@code scales[8ib + k]} for
 * elements 0..15 (chunks 0, 2) and {@code scales[8ib + k + 4]} for 16..31 (chunks 1, 3).
 */
final class Q6KR4Kernel extends InterleavedKernel {
    static final Q6KR4Kernel INSTANCE = new Q6KR4Kernel();
    private static final int BLOCK_BYTES = 840, QH = 72, QL = 328;
    private static final VectorShuffle<Float> S0 = spread(0), S2 = spread(2), S4 = spread(4), S6 = spread(6);

    private Q6KR4Kernel() {}

    @Override
    int[] offsets() {
        return KQuantR4Kernel.N4;
    }

    @Override
    int blockColumns() {
        return 256;
    }

    @Override
    void rows(MemorySegment data, long rowBytes, long r0, long r1, int cols, float[] ex, float[] out, int outOff, float[] scratch) {
        for (long r = r0; r < r1; r += 4) {
            long off = r * rowBytes;
            if (L == 16) group16(data, off, cols, ex, out, outOff + (int) r, scratch);
            else group8(data, off, cols, ex, out, outOff + (int) r, scratch);
        }
    }

    /** q − 32 of one 16-value chunk (low or high nibble of ql, with its two bits of qh at {@code shift}). */
    private static FloatVector values(ByteVector ql, boolean high, ByteVector qh, int shift) {
        ByteVector low = high ? shiftRight(ql, 4) : ql.and((byte) 15);
        ByteVector top = ByteLanes.shiftLeft((shift == 0 ? qh : shiftRight(qh, shift)).and((byte) 3), 4);
        return floats(low.or(top).sub((byte) 32));
    }

    /** The rows' d spread to lane % 4, in scratch[0..16). */
    private static FloatVector rowScales(MemorySegment data, long bo, float[] scratch) {
        for (int k = 0; k < 4; k++) {
            float d = Float.float16ToFloat(data.get(Le.SHORT, bo + 2L * k));
            for (int lane = k; lane < 16; lane += 4) scratch[lane] = d;
        }
        return FloatVector.fromArray(F, scratch, 0);
    }

    private static void group16(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / 256; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            FloatVector d = rowScales(data, bo, scratch);
            for (int ib = 0; ib < 8; ib++) {
                long ql = bo + QL + 64L * ib, qh = bo + QH + 32L * ib;
                int e = (8 * b + ib) * EXPANDED;
                ByteVector h0 = ByteVector.fromMemorySegment(B, data, qh, LE), h1 = ByteVector.fromMemorySegment(B, data, qh + 16, LE);
                FloatVector blkA = FloatVector.zero(F), blkB = blkA;
                for (int c = 0; c < 4; c++) {
                    ByteVector v = ByteVector.fromMemorySegment(B, data, ql + 16L * c, LE);
                    ByteVector h = (c & 1) == 0 ? h0 : h1;
                    int shift = c >= 2 ? 4 : 0;
                    FloatVector lo = values(v, false, h, shift), hi = values(v, true, h, shift + 2);
                    FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
                    if ((c & 1) == 0) blkA = hi.fma(xh, lo.fma(xl, blkA));
                    else blkB = hi.fma(xh, lo.fma(xl, blkB));
                }
                FloatVector sc = floats(ByteVector.fromMemorySegment(B, data, bo + 8 + 8L * ib, LE)).mul(d);
                acc = blkA.fma(sc.rearrange(S0), acc);
                acc = blkB.fma(sc.rearrange(S4), acc);
            }
        }
        sumRows(acc, out, o, 0, scratch);
    }

    private static void group8(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < cols / 256; b++) {
            long bo = off + (long) BLOCK_BYTES * b;
            FloatVector d = rowScales(data, bo, scratch);
            for (int ib = 0; ib < 8; ib++) {
                long ql = bo + QL + 64L * ib, qh = bo + QH + 32L * ib;
                int e = (8 * b + ib) * EXPANDED;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0; // [A|B] × rows [0,1 | 2,3]
                for (int c = 0; c < 4; c++) {
                    int shift = c >= 2 ? 4 : 0;
                    long hq = qh + 16L * (c & 1);
                    FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
                    ByteVector v0 = ByteVector.fromMemorySegment(B, data, ql + 16L * c, LE), v1 = ByteVector.fromMemorySegment(B, data, ql + 16L * c + 8, LE);
                    ByteVector h0 = ByteVector.fromMemorySegment(B, data, hq, LE), h1 = ByteVector.fromMemorySegment(B, data, hq + 8, LE);
                    FloatVector p0 = values(v0, true, h0, shift + 2).fma(xh, values(v0, false, h0, shift).mul(xl));
                    FloatVector p1 = values(v1, true, h1, shift + 2).fma(xh, values(v1, false, h1, shift).mul(xl));
                    if ((c & 1) == 0) {
                        a0 = a0.add(p0);
                        a1 = a1.add(p1);
                    } else {
                        b0 = b0.add(p0);
                        b1 = b1.add(p1);
                    }
                }
                FloatVector sc = floats(ByteVector.fromMemorySegment(B, data, bo + 8 + 8L * ib, LE)).mul(d);
                acc0 = b0.fma(sc.rearrange(S4), a0.fma(sc.rearrange(S0), acc0));
                acc1 = b1.fma(sc.rearrange(S6), a1.fma(sc.rearrange(S2), acc1));
            }
        }
        sumRows(acc0, out, o, 0, scratch);
        sumRows(acc1, out, o, 2, scratch);
    }
}
