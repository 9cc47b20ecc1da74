package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
    /** 32 byte lanes: the 16-lane body assembles two chunks' values at a time. */
    private static final jdk.incubator.vector.VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorShuffle<Float> S0 = spread(0), S2 = spread(2), S4 = spread(4), S6 = spread(6);

    private Q6KR4Kernel() {
        super(KQuantR4Kernel.N4, 256, 4, false);
    }

    /** At 16 lanes two groups share each load of the expanded activations ({@link #block16}). */
    @Override
    boolean pairs() {
        return L == 16;
    }

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        pair(data, off, -1, cols, ex, out, o, s, stage);
    }

    /** Each group staged into its half of the stage; {@link #block16} multiplies two (alone, a group is its own second). */
    @Override
    void pair(MemorySegment data, long off, long off2, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        boolean two = off2 >= 0;
        int nb = cols / 256, half = STAGE_BYTES / 2, per = two ? pairedUnits(BLOCK_BYTES) : stagedUnits(BLOCK_BYTES);
        java.util.Arrays.fill(s, ACC, ACC + 32, 0f);
        for (int b0 = 0; b0 < nb; b0 += per) {
            int n = Math.min(per, nb - b0);
            stage(data, off + (long) BLOCK_BYTES * b0, BLOCK_BYTES, n, stage);
            if (two) stage(data, off2 + (long) BLOCK_BYTES * b0, BLOCK_BYTES, n, stage, half);
            for (int j = 0; j < n; j++) {
                int bo = BLOCK_BYTES * j, e = 8 * (b0 + j) * EXPANDED;
                if (L == 16) block16(stage, bo, two ? half + bo : bo, ex, e, s);
                else block8(stage, bo, ex, e, s);
            }
        }
        sumRows(s, ACC, out, o, 0);
        if (L == 8) sumRows(s, ACC + 8, out, o, 2);
        if (two) sumRows(s, ACC2, out, o + 4, 0);
    }

    /** Scratch slot of the accumulator (two vectors at 8 lanes). */
    private static final int ACC = 128;
    /** The second group's accumulator ({@link #block16}). */
    private static final int ACC2 = ACC + 16;

    /*
     * One call per 256-column block with arrays and scalars only; its eight 32-column blocks accumulate in
     * registers and the block's sum is added to scratch once (see KQuantR4Kernel).
     */

    /**
     * The 256-column blocks of two groups staged at buf[bo] and buf[bo2], into the accumulators at {@link #ACC} and
     * {@link #ACC2}; each expanded activation vector is loaded once for both (at 16 lanes a long row's activations
     * come from L2). Block ib: chunk c's values are its ql nibbles (low, high) with two bits of qh chunk c % 2 at
     * bit pairs 4(c/2) and 4(c/2)+2, less 32; chunks 0, 2 take scale 8ib+k, chunks 1, 3 scale 8ib+k+4.
     */
    private static void block16(byte[] buf, int bo, int bo2, float[] ex, int e, float[] s) {
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        FloatVector d = FloatVector.broadcast(F, f16(buf, bo)).blend(FloatVector.broadcast(F, f16(buf, bo + 2)), ROW1)
                .blend(FloatVector.broadcast(F, f16(buf, bo + 4)), ROW2).blend(FloatVector.broadcast(F, f16(buf, bo + 6)), ROW3); // the rows' d by lane % 4
        FloatVector d2 = FloatVector.broadcast(F, f16(buf, bo2)).blend(FloatVector.broadcast(F, f16(buf, bo2 + 2)), ROW1)
                .blend(FloatVector.broadcast(F, f16(buf, bo2 + 4)), ROW2).blend(FloatVector.broadcast(F, f16(buf, bo2 + 6)), ROW3);
        for (int ib = 0; ib < 8; ib++) {
            int ql = bo + QL + 64 * ib, qh = bo + QH + 32 * ib, ql2 = bo2 + QL + 64 * ib, qh2 = bo2 + QH + 32 * ib, x = e + EXPANDED * ib;
            FloatVector blkA = FloatVector.zero(F), blkB = blkA, blkA2 = blkA, blkB2 = blkA;
            ByteVector h = ByteVector.fromArray(B32, buf, qh), h2 = ByteVector.fromArray(B32, buf, qh2);
            for (int half = 0; half < 2; half++) { // chunks 2·half and 2·half + 1: their values assembled 32 bytes at a time
                ByteVector v = ByteVector.fromArray(B32, buf, ql + 32 * half), v2 = ByteVector.fromArray(B32, buf, ql2 + 32 * half);
                ByteVector g = half == 0 ? h : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes(); // only bits 0-3 are used, masked below
                ByteVector g2 = half == 0 ? h2 : h2.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
                v.and((byte) 15).or(g.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32).intoArray(buf, DECODED);
                v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(g.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32)
                        .intoArray(buf, DECODED + 32);
                v2.and((byte) 15).or(g2.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32).intoArray(buf, DECODED + 64);
                v2.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(g2.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32)
                        .intoArray(buf, DECODED + 96);
                for (int cc = 0; cc < 2; cc++) {
                    int c = 2 * half + cc, at = DECODED + 16 * cc;
                    FloatVector xl = FloatVector.fromArray(F, ex, x + 32 * c), xh = FloatVector.fromArray(F, ex, x + 32 * c + 16);
                    FloatVector p = ((FloatVector) ByteVector.fromArray(B, buf, at).convertShape(VectorOperators.B2F, F, 0))
                            .fma(xl, ((FloatVector) ByteVector.fromArray(B, buf, at + 32).convertShape(VectorOperators.B2F, F, 0)).mul(xh));
                    FloatVector p2 = ((FloatVector) ByteVector.fromArray(B, buf, at + 64).convertShape(VectorOperators.B2F, F, 0))
                            .fma(xl, ((FloatVector) ByteVector.fromArray(B, buf, at + 96).convertShape(VectorOperators.B2F, F, 0)).mul(xh));
                    if (cc == 0) {
                        blkA = blkA.add(p);
                        blkA2 = blkA2.add(p2);
                    } else {
                        blkB = blkB.add(p);
                        blkB2 = blkB2.add(p2);
                    }
                }
            }
            FloatVector sc = ((FloatVector) ByteVector.fromArray(B, buf, bo + 8 + 8 * ib).convertShape(VectorOperators.B2F, F, 0)).mul(d);
            FloatVector sc2 = ((FloatVector) ByteVector.fromArray(B, buf, bo2 + 8 + 8 * ib).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
            acc = blkB.fma(sc.rearrange(S4), blkA.fma(sc.rearrange(S0), acc));
            acc2 = blkB2.fma(sc2.rearrange(S4), blkA2.fma(sc2.rearrange(S0), acc2));
        }
        acc.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        acc2.add(FloatVector.fromArray(F, s, ACC2)).intoArray(s, ACC2);
    }

    /**
     * {@link #block16} at 8 lanes: each block's values (q − 32) assembled first with 16-byte operations into
     * stage[DECODED..+128) (chunk c's low nibbles at 32c, high at 32c + 16; rows 0, 1 in the first 8 bytes of
     * each, rows 2, 3 in the next 8), then widened 8 at a time.
     */
    private static void block8(byte[] buf, int bo, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, d = FloatVector.broadcast(F, f16(buf, bo)).blend(FloatVector.broadcast(F, f16(buf, bo + 2)), ROW1)
                .blend(FloatVector.broadcast(F, f16(buf, bo + 4)), ROW2).blend(FloatVector.broadcast(F, f16(buf, bo + 6)), ROW3); // the rows' d by lane % 4
        for (int ib = 0; ib < 8; ib++) {
            int ql = bo + QL + 64 * ib, qh = bo + QH + 32 * ib, x = e + EXPANDED * ib;
            for (int c = 0; c < 4; c++) {
                ByteVector v = ByteVector.fromArray(B16, buf, ql + 16 * c);
                ByteVector h = ByteVector.fromArray(B16, buf, qh + 16 * (c & 1)).reinterpretAsShorts().lanewise(VectorOperators.LSHR, (c & 2) << 1).reinterpretAsBytes(); // only bits 0-3 are used, masked below
                v.and((byte) 15).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32).intoArray(buf, DECODED + 32 * c);
                v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32)
                        .intoArray(buf, DECODED + 32 * c + 16);
            }
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0; // [A|B] × rows [0,1 | 2,3]
            for (int c = 0; c < 4; c++) {
                FloatVector xl = FloatVector.fromArray(F, ex, x + 16 * c), xh = FloatVector.fromArray(F, ex, x + 16 * c + 8);
                int at = DECODED + 32 * c;
                FloatVector p0 = ((FloatVector) ByteVector.fromArray(B, buf, at + 16).convertShape(VectorOperators.B2F, F, 0))
                        .fma(xh, ((FloatVector) ByteVector.fromArray(B, buf, at).convertShape(VectorOperators.B2F, F, 0)).mul(xl));
                FloatVector p1 = ((FloatVector) ByteVector.fromArray(B, buf, at + 24).convertShape(VectorOperators.B2F, F, 0))
                        .fma(xh, ((FloatVector) ByteVector.fromArray(B, buf, at + 8).convertShape(VectorOperators.B2F, F, 0)).mul(xl));
                if ((c & 1) == 0) {
                    a0 = a0.add(p0);
                    a1 = a1.add(p1);
                } else {
                    b0 = b0.add(p0);
                    b1 = b1.add(p1);
                }
            }
            FloatVector sc = ((FloatVector) ByteVector.fromArray(B, buf, bo + 8 + 8 * ib).convertShape(VectorOperators.B2F, F, 0)).mul(d);
            acc0 = b0.fma(sc.rearrange(S4), a0.fma(sc.rearrange(S0), acc0));
            acc1 = b1.fma(sc.rearrange(S6), a1.fma(sc.rearrange(S2), acc1));
        }
        acc0.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        acc1.add(FloatVector.fromArray(F, s, ACC + 8)).intoArray(s, ACC + 8);
    }
}
