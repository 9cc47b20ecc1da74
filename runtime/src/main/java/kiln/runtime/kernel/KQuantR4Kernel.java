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
    /** ik's common 4-bit order (spec §2.3, N4): column offsets of each chunk's low and high nibbles. */
    static final int[] N4 = {0, 8, 16, 24, 4, 12, 20, 28};
    static final KQuantR4Kernel Q4_K_R4 = new KQuantR4Kernel(false), Q5_K_R4 = new KQuantR4Kernel(true);
    /** Q5_K_R4: the qh bit of chunk c's low nibbles (its high nibbles take the next bit). */
    private static final int[] FIFTH_BIT = {0, 4, 2, 6};
    private static final VectorShuffle<Float> SPREAD = spread(0), SPREAD_HIGH = spread(2);

    private final boolean five;

    private KQuantR4Kernel(boolean five) {
        super(N4, 256, 4, true);
        this.five = five;
    }

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch) {
        walk(data, off, cols, five, ex, out, o, scratch);
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
            if (p >= 16) sh = sh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
            ByteVector sc = sl.and((byte) 15).or(sh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
            ByteVector mn = sl.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(sh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
            ((FloatVector) sc.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(scales, p);
            ((FloatVector) mn.convertShape(VectorOperators.B2F, F, 0)).mul(dmin).intoArray(scales, 48 + p);
        }
    }

    /** Scratch slots of the accumulators: dot lanes (two vectors at 8 lanes), then the minimum lanes. */
    private static final int ACC = 128, MIN = 160;

    /*
     * Each 32-column block is one call with arrays and scalars only, the accumulators living in scratch: C2 stops
     * inlining the Vector API's calls in a method past its node budget, and a vector that then crosses a call is
     * boxed (10x slower). Small bodies keep every vector in registers.
     */

    /** Both widths: the 32-column block methods differ, the walk over the group does not. */
    private static void walk(MemorySegment data, long off, int cols, boolean five, float[] ex, float[] out, int o, float[] s) {
        java.util.Arrays.fill(s, ACC, MIN + 16, 0f);
        int sums = cols / 32 * EXPANDED;
        for (int b = 0; b < cols / 256; b++) {
            long bo = off + (five ? 704L : 576L) * b;
            decodeScales(data, bo, s);
            for (int ib = 0; ib < 8; ib++) {
                long q = bo + (five ? 192 : 64) + 64L * ib, qh = bo + 64 + 16L * ib;
                int e = (8 * b + ib) * EXPANDED;
                if (L == 16) {
                    if (five) block16Five(data, q, qh, ex, e, s, ib);
                    else block16(data, q, ex, e, s, ib);
                } else {
                    if (five) block8Five(data, q, qh, ex, e, s, ib);
                    else block8(data, q, ex, e, s, ib);
                }
            }
            minimums(s, ex, sums + 32 * b);
        }
        finish(s, out, o);
    }

    private static void block16(MemorySegment data, long q, float[] ex, int e, float[] s, int ib) {
        FloatVector blk = FloatVector.zero(F);
        for (int c = 0; c < 4; c++) {
            ByteVector v = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
            blk = ((FloatVector) v.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c), blk);
            blk = ((FloatVector) (v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c + 16), blk);
        }
        blk.fma(FloatVector.fromArray(F, s, 4 * ib).rearrange(SPREAD), FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
    }

    private static void block16Five(MemorySegment data, long q, long qh, float[] ex, int e, float[] s, int ib) {
        FloatVector blk = FloatVector.zero(F);
        ByteVector h = ByteVector.fromMemorySegment(B, data, qh, LE);
        for (int c = 0; c < 4; c++) {
            ByteVector v = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
            ByteVector hc = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, FIFTH_BIT[c]).reinterpretAsBytes(); // this chunk's fifth bits at bits 0 (low nibbles) and 1 (high); higher bits are masked below
            ByteVector lo = v.and((byte) 15).or(hc.and((byte) 1).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes());
            ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hc.and((byte) 2).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes());
            blk = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c), blk);
            blk = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, e + 32 * c + 16), blk);
        }
        blk.fma(FloatVector.fromArray(F, s, 4 * ib).rearrange(SPREAD), FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
    }

    /** 8 lanes: rows 0, 1 in the first 8 bytes of a chunk, rows 2, 3 in the next 8. */
    private static void block8(MemorySegment data, long q, float[] ex, int e, float[] s, int ib) {
        FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
        for (int c = 0; c < 4; c++) {
            FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
            ByteVector v0 = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
            ByteVector v1 = ByteVector.fromMemorySegment(B, data, q + 16L * c + 8, LE);
            blk0 = ((FloatVector) (v0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(xh, ((FloatVector) v0.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk0));
            blk1 = ((FloatVector) (v1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(xh, ((FloatVector) v1.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk1));
        }
        accumulate8(blk0, blk1, s, ib);
    }

    private static void block8Five(MemorySegment data, long q, long qh, float[] ex, int e, float[] s, int ib) {
        FloatVector blk0 = FloatVector.zero(F), blk1 = blk0;
        ByteVector h0 = ByteVector.fromMemorySegment(B, data, qh, LE), h1 = ByteVector.fromMemorySegment(B, data, qh + 8, LE);
        for (int c = 0; c < 4; c++) {
            FloatVector xl = FloatVector.fromArray(F, ex, e + 32 * c), xh = FloatVector.fromArray(F, ex, e + 32 * c + 16);
            ByteVector v0 = ByteVector.fromMemorySegment(B, data, q + 16L * c, LE);
            ByteVector v1 = ByteVector.fromMemorySegment(B, data, q + 16L * c + 8, LE);
            ByteVector g0 = h0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, FIFTH_BIT[c]).reinterpretAsBytes(), g1 = h1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, FIFTH_BIT[c]).reinterpretAsBytes();
            ByteVector lo0 = v0.and((byte) 15).or(g0.and((byte) 1).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes());
            ByteVector hi0 = v0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(g0.and((byte) 2).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes());
            ByteVector lo1 = v1.and((byte) 15).or(g1.and((byte) 1).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes());
            ByteVector hi1 = v1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(g1.and((byte) 2).reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes());
            blk0 = ((FloatVector) hi0.convertShape(VectorOperators.B2F, F, 0)).fma(xh, ((FloatVector) lo0.convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk0));
            blk1 = ((FloatVector) hi1.convertShape(VectorOperators.B2F, F, 0)).fma(xh, ((FloatVector) lo1.convertShape(VectorOperators.B2F, F, 0)).fma(xl, blk1));
        }
        accumulate8(blk0, blk1, s, ib);
    }

    private static void accumulate8(FloatVector blk0, FloatVector blk1, float[] s, int ib) {
        FloatVector sc = FloatVector.fromArray(F, s, 4 * ib);
        blk0.fma(sc.rearrange(SPREAD), FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        blk1.fma(sc.rearrange(SPREAD_HIGH), FloatVector.fromArray(F, s, ACC + 8)).intoArray(s, ACC + 8);
    }

    /** The block's minimum terms: dmin_k·m (slots s = 4ib + k, in scratch[48..80)) times the 32-column sums. */
    private static void minimums(float[] s, float[] ex, int sums) {
        FloatVector m = FloatVector.fromArray(F, s, MIN);
        for (int p = 0; p < 32; p += L) m = FloatVector.fromArray(F, s, 48 + p).fma(FloatVector.fromArray(F, ex, sums + p), m);
        m.intoArray(s, MIN);
    }

    /**
     * Row k = the sum of its four dot lanes (row k in lanes 4k..4k+3 of the accumulator; at 8 lanes rows 2, 3 in
     * the second) less the minimum lanes with lane % 4 == k.
     */
    private static void finish(float[] s, float[] out, int o) {
        for (int k = 0; k < 4; k++) {
            float dot = s[ACC + 4 * k] + s[ACC + 4 * k + 1] + s[ACC + 4 * k + 2] + s[ACC + 4 * k + 3];
            float m = 0;
            for (int lane = k; lane < L; lane += 4) m += s[MIN + lane];
            out[o + k] = dot - m;
        }
    }
}
