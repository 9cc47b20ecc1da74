package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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

    /** Scratch slots: the accumulators from ACC, the staged blocks' d from DS (ROWS per block). */
    private static final int ACC = 16, DS = 48, ROWS = 8;

    /*
     * This walk is Q5_0_R4's with other constants. One shared walk in a common base class (an abstract per-type body)
     * measured slower in JMH (1024 × 4096, one pinned core, same session: Q8_0_R8 180 → 220 µs, Q5_0_R4 262 → 290):
     * C2 compiles the shared method once for both types, so the row count and block size stop being constants.
     */
    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        int nb = cols / 32, per = Math.min(stagedUnits(BLOCK_BYTES), (SCRATCH - DS - 16) / ROWS);
        java.util.Arrays.fill(s, ACC, ACC + 32, 0f);
        for (int b0 = 0; b0 < nb; b0 += per) {
            int n = Math.min(per, nb - b0);
            stage(data, off + (long) BLOCK_BYTES * b0, BLOCK_BYTES, n, stage);
            rowScales(stage, n, s);
            if (L == 16) blocks16(stage, n, ex, b0 * EXPANDED, s);
            else blocks8(stage, n, ex, b0 * EXPANDED, s);
        }
        for (int a = 0; a < 32 / L; a++) sumRows(s, ACC + L * a, out, o, a * L / 4);
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

    /** The {@code n} staged blocks against ex[e..): rows 0..3 in the first 16 bytes of each 32-byte chunk, rows 4..7 in the next 16. */
    private static void blocks16(byte[] buf, int n, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.fromArray(F, s, ACC), acc1 = FloatVector.fromArray(F, s, ACC + 16);
        for (int b = 0; b < n; b++) {
            int bo = BLOCK_BYTES * b, x = e + b * EXPANDED;
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0, blk2 = blk0, blk3 = blk0;
            for (int l = 0; l < 8; l += 2) {
                FloatVector x0 = FloatVector.fromArray(F, ex, x + 16 * l), x1 = FloatVector.fromArray(F, ex, x + 16 * l + 16);
                int q = bo + 16 + 32 * l;
                blk0 = ((FloatVector) ByteVector.fromArray(B, buf, q).convertShape(VectorOperators.B2F, F, 0)).fma(x0, blk0);
                blk1 = ((FloatVector) ByteVector.fromArray(B, buf, q + 16).convertShape(VectorOperators.B2F, F, 0)).fma(x0, blk1);
                blk2 = ((FloatVector) ByteVector.fromArray(B, buf, q + 32).convertShape(VectorOperators.B2F, F, 0)).fma(x1, blk2);
                blk3 = ((FloatVector) ByteVector.fromArray(B, buf, q + 48).convertShape(VectorOperators.B2F, F, 0)).fma(x1, blk3);
            }
            FloatVector d = FloatVector.fromArray(F, s, DS + ROWS * b);
            acc0 = blk0.add(blk2).fma(d.rearrange(S0), acc0);
            acc1 = blk1.add(blk3).fma(d.rearrange(S4), acc1);
        }
        acc0.intoArray(s, ACC);
        acc1.intoArray(s, ACC + 16);
    }

    /** {@link #blocks16} at 8 lanes: rows (0, 1), (2, 3), (4, 5), (6, 7) in the four 8-byte quarters of each chunk. */
    private static void blocks8(byte[] buf, int n, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.fromArray(F, s, ACC), acc1 = FloatVector.fromArray(F, s, ACC + 8);
        FloatVector acc2 = FloatVector.fromArray(F, s, ACC + 16), acc3 = FloatVector.fromArray(F, s, ACC + 24);
        for (int b = 0; b < n; b++) {
            int bo = BLOCK_BYTES * b, x = e + b * EXPANDED;
            FloatVector blk0 = FloatVector.zero(F), blk1 = blk0, blk2 = blk0, blk3 = blk0;
            for (int l = 0; l < 8; l++) {
                FloatVector xl = FloatVector.fromArray(F, ex, x + 8 * l);
                int q = bo + 16 + 32 * l;
                blk0 = ((FloatVector) ByteVector.fromArray(B, buf, q).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk0);
                blk1 = ((FloatVector) ByteVector.fromArray(B, buf, q + 8).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk1);
                blk2 = ((FloatVector) ByteVector.fromArray(B, buf, q + 16).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk2);
                blk3 = ((FloatVector) ByteVector.fromArray(B, buf, q + 24).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk3);
            }
            FloatVector d = FloatVector.fromArray(F, s, DS + ROWS * b);
            acc0 = blk0.fma(d.rearrange(S0), acc0);
            acc1 = blk1.fma(d.rearrange(S2), acc1);
            acc2 = blk2.fma(d.rearrange(S4), acc2);
            acc3 = blk3.fma(d.rearrange(S6), acc3);
        }
        acc0.intoArray(s, ACC);
        acc1.intoArray(s, ACC + 8);
        acc2.intoArray(s, ACC + 16);
        acc3.intoArray(s, ACC + 24);
    }
}
