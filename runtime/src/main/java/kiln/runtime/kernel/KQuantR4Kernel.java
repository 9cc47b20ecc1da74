package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import kiln.tensor.Le;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K_R4 and Q5_K_R4 (four interleaved Q4_K or Q5_K rows) in place. Block of 576 (704) bytes per 256 columns:
 * {@code fp16 d[4], dmin[4]; scales_h[16]; scales_l[32]; [Q5: qh[128]]; qs[512]}. 32-column block ib: 64 quant bytes in four 16-byte chunks, byte 4k+i of
 * chunk c = row k's elements {@code N4[2c] + i} (low nibble) and {@code N4[2c+1] + i} (high). Slot s = 4ib + k:
 * {@code sc = scales_l[s]&15 | (scales_h[s%16] >> 4(s/16) & 3) << 4}, the minimum from the high nibble and bits
 * 2–3. Q5_K_R4's fifth bits: {@code qh[16ib + 4k + i]} bits 0..7 = elements i, i+8, i+4, i+12, i+16, i+24, i+20,
 * i+28, so chunk c's low and high nibbles take bits {@link #FIFTH_BIT}[c] and the next one. Row k · x =
 * Σ_ib d_k·sc·(q·x) − Σ_ib dmin_k·m·(sum of x over ib): the second term from the activation sums.
 */
final class KQuantR4Kernel extends InterleavedKernel {
    static final KQuantR4Kernel Q4_K_R4 = new KQuantR4Kernel(false), Q5_K_R4 = new KQuantR4Kernel(true);
    /** ik's common 4-bit order (spec §2.3, N4): column offsets of each chunk's low and high nibbles. */
    static final int[] N4 = {0, 8, 16, 24, 4, 12, 20, 28};
    /** Q5_K_R4: the qh bit of chunk c's low nibbles (its high nibbles take the next bit). */
    private static final int[] FIFTH_BIT = {0, 4, 2, 6};
    private static final VectorShuffle<Float> SPREAD = spread(0), SPREAD_HIGH = spread(2);

    private final boolean five;

    private KQuantR4Kernel(boolean five) {
        this.five = five;
    }

    @Override
    int[] offsets() {
        return N4;
    }

    @Override
    boolean needsSums() {
        return true;
    }

    @Override
    int blockColumns() {
        return 256;
    }

    @Override
    void rows(MemorySegment data, long rowBytes, long r0, long r1, int cols, float[] ex, float[] out, int outOff, float[] scratch) {
        for (long r = r0; r < r1; r += 4) {
            long off = r * rowBytes;
            if (L == 16) group16(data, off, cols, five, ex, out, outOff + (int) r, scratch);
            else group8(data, off, cols, five, ex, out, outOff + (int) r, scratch);
        }
    }

    /**
     * A block's 32 slots: d_k·sc into scales[0..32), dmin_k·m into scales[48..80) (slot s = 4ib + k, row k = s % 4);
     * scales[80..112) hold the rows' d and dmin spread to lane % 4.
     */
    private static void decodeScales(MemorySegment data, long o, float[] scales) {
        for (int k = 0; k < 4; k++) {
            float d = Float.float16ToFloat(data.get(Le.SHORT, o + 2L * k));
            float dmin = Float.float16ToFloat(data.get(Le.SHORT, o + 8 + 2L * k));
            for (int lane = k; lane < 16; lane += 4) {
                scales[80 + lane] = d;
                scales[96 + lane] = dmin;
            }
        }
        FloatVector d = FloatVector.fromArray(F, scales, 80), dmin = FloatVector.fromArray(F, scales, 96);
        for (int p = 0; p < 32; p += L) {
            ByteVector sl = ByteVector.fromMemorySegment(B, data, o + 32 + p, LE);
            ByteVector sh = ByteVector.fromMemorySegment(B, data, o + 16 + (p & 15), LE);
            if (p >= 16) sh = shiftRight(sh, 4);
            ByteVector sc = sl.and((byte) 15).or(ByteLanes.shiftLeft(sh, 4).and((byte) 0x30));
            ByteVector mn = shiftRight(sl, 4).or(ByteLanes.shiftLeft(sh, 2).and((byte) 0x30));
            floats(sc).mul(d).intoArray(scales, p);
            floats(mn).mul(dmin).intoArray(scales, 48 + p);
        }
    }

    /** One chunk's low or high nibbles as floats, with Q5_K_R4's fifth bit from qh when {@code five}. */
    private static FloatVector quants(ByteVector v, boolean high, boolean five, ByteVector qh, int bit) {
        ByteVector q = high ? shiftRight(v, 4) : v.and((byte) 15);
        if (five) q = q.or(ByteLanes.shiftLeft((bit == 0 ? qh : shiftRight(qh, bit)).and((byte) 1), 4));
        return floats(q);
    }

    private static void group16(MemorySegment data, long off, int cols, boolean five, float[] ex, float[] out, int o, float[] scales) {
        FloatVector acc = FloatVector.zero(F), minAcc = acc;
        int sums = cols / 32 * EXPANDED;
        for (int b = 0; b < cols / 256; b++) {
            long bo = off + (five ? 704L : 576L) * b;
            decodeScales(data, bo, scales);
            for (int ib = 0; ib < 8; ib++) {
                long q = bo + (five ? 192 : 64) + 64L * ib, qh = bo + 64 + 16L * ib;
                int e = (8 * b + ib) * EXPANDED;
                FloatVector blk = FloatVector.zero(F);
                ByteVector h = five ? ByteVector.fromMemorySegment(B, data, qh, LE) : null;
                for (int c = 0; c < 4; c++) {
                    ByteVector v = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
                    blk = quants(v, false, five, h, FIFTH_BIT[c]).fma(FloatVector.fromArray(F, ex, e + 32 * c), blk);
                    blk = quants(v, true, five, h, FIFTH_BIT[c] + 1).fma(FloatVector.fromArray(F, ex, e + 32 * c + 16), blk);
                }
                acc = blk.fma(FloatVector.fromArray(F, scales, 4 * ib).rearrange(SPREAD), acc);
            }
            int s = sums + 32 * b;
            minAcc = FloatVector.fromArray(F, scales, 48).fma(FloatVector.fromArray(F, ex, s), minAcc);
            minAcc = FloatVector.fromArray(F, scales, 64).fma(FloatVector.fromArray(F, ex, s + 16), minAcc);
        }
        finish(acc, null, minAcc, out, o, scales);
    }

    private static void group8(MemorySegment data, long off, int cols, boolean five, float[] ex, float[] out, int o, float[] scales) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, min0 = acc0, min1 = acc0;
        int sums = cols / 32 * EXPANDED;
        for (int b = 0; b < cols / 256; b++) {
            long bo = off + (five ? 704L : 576L) * b;
            decodeScales(data, bo, scales);
            for (int ib = 0; ib < 8; ib++) {
                long q = bo + (five ? 192 : 64) + 64L * ib, qh = bo + 64 + 16L * ib;
                int e = (8 * b + ib) * EXPANDED;
                FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
                ByteVector h0 = five ? ByteVector.fromMemorySegment(B, data, qh, LE) : null; // rows 0, 1
                ByteVector h1 = five ? ByteVector.fromMemorySegment(B, data, qh + 8, LE) : null; // rows 2, 3
                for (int c = 0; c < 4; c++) {
                    FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
                    ByteVector v0 = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
                    ByteVector v1 = ByteVector.fromMemorySegment(B, data, q + 16L * c + 8, LE);
                    int bit = FIFTH_BIT[c];
                    blk0 = quants(v0, false, five, h0, bit).fma(xl, blk0);
                    blk0 = quants(v0, true, five, h0, bit + 1).fma(xh, blk0);
                    blk1 = quants(v1, false, five, h1, bit).fma(xl, blk1);
                    blk1 = quants(v1, true, five, h1, bit + 1).fma(xh, blk1);
                }
                FloatVector sc = FloatVector.fromArray(F, scales, 4 * ib);
                acc0 = blk0.fma(sc.rearrange(SPREAD), acc0);
                acc1 = blk1.fma(sc.rearrange(SPREAD_HIGH), acc1);
            }
            int s = sums + 32 * b;
            for (int p = 0; p < 32; p += 16) {
                min0 = FloatVector.fromArray(F, scales, 48 + p).fma(FloatVector.fromArray(F, ex, s + p), min0);
                min1 = FloatVector.fromArray(F, scales, 48 + p + 8).fma(FloatVector.fromArray(F, ex, s + p + 8), min1);
            }
        }
        finish(acc0, acc1, min0.add(min1), out, o, scales);
    }

    /** Row k = the sum of its four dot lanes less the minimum lanes with lane % 4 == k. */
    private static void finish(FloatVector acc0, FloatVector acc1, FloatVector min, float[] out, int o, float[] scratch) {
        sumRows(acc0, out, o, 0, scratch);
        if (acc1 != null) sumRows(acc1, out, o, 2, scratch);
        min.intoArray(scratch, 0);
        for (int k = 0; k < 4; k++) {
            float m = 0;
            for (int lane = k; lane < L; lane += 4) m += scratch[lane];
            out[o + k] -= m;
        }
    }
}
