package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
    /** Slot p + j of a scale vector spread to its row's lanes (j = 0, 4, 8, 12 at 16 lanes; 0, 2, 4, 6 at 8). */
    private static final VectorShuffle<Float> SP0 = spread(0), SP2 = spread(2), SP4 = spread(4), SP6 = spread(6),
            SP8 = L == 16 ? spread(8) : null, SP12 = L == 16 ? spread(12) : null;

    private final boolean five;

    private KQuantR4Kernel(boolean five) {
        super(N4, 256, 4, true);
        this.five = five;
    }

    @Override
    int scratchFloats() {
        return 2 * SCRATCH_FLOATS;
    }

    /** Q4_K_R4 at 16 lanes: two groups share each load of the expanded activations ({@link #block16}). */
    @Override
    boolean pairs() {
        return L == 16 && !five;
    }

    @Override
    void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        pair(data, off, -1, cols, ex, out, o, s, stage);
    }

    /**
     * Each group staged into its half of the stage, its scales and sums in its own scratch ({@link #SCRATCH_FLOATS}
     * apart). {@link #block16} always multiplies two groups; alone, the group is its own second (the result discarded).
     */
    @Override
    void pair(MemorySegment data, long off, long off2, int cols, float[] ex, float[] out, int o, float[] s, byte[] stage) {
        boolean two = off2 >= 0;
        int bb = five ? 704 : 576, nb = cols / 256, per = two ? pairedUnits(bb) : stagedUnits(bb), half = STAGE_BYTES / 2;
        java.util.Arrays.fill(s, ACC, MIN + 16, 0f);
        if (two) java.util.Arrays.fill(s, SCRATCH_FLOATS + ACC, SCRATCH_FLOATS + MIN + 16, 0f);
        int sums = cols / 32 * EXPANDED;
        for (int b0 = 0; b0 < nb; b0 += per) {
            int n = Math.min(per, nb - b0);
            stage(data, off + (long) bb * b0, bb, n, stage);
            if (two) stage(data, off2 + (long) bb * b0, bb, n, stage, half);
            for (int j = 0; j < n; j++) {
                int b = b0 + j, bo = bb * j, bo2 = two ? half + bo : bo, e = 8 * b * EXPANDED;
                decodeScales(stage, bo, s, 0);
                if (two) decodeScales(stage, bo2, s, SCRATCH_FLOATS);
                if (L == 16) {
                    if (five) block16Five(stage, bo, ex, e, s);
                    else block16(stage, bo, bo2, ex, e, s);
                } else {
                    if (five) block8Five(stage, bo, ex, e, s);
                    else block8(stage, bo, ex, e, s);
                }
                minimums(s, ex, sums + 32 * b, 0);
                if (two) minimums(s, ex, sums + 32 * b, SCRATCH_FLOATS);
            }
        }
        finish(s, out, o, 0);
        if (two) finish(s, out, o + 4, SCRATCH_FLOATS);
    }

    /**
     * A block's 32 slots: d_k·sc spread to the lanes that multiply them, scales[SPREAD + 16ib..) for 32-column block
     * ib (at 8 lanes rows 0, 1 then rows 2, 3), so the block loops load each with one aligned vector load of what
     * one vector store wrote (a load that spans two stores, or scalar stores, waits for them: no store forwarding);
     * dmin_k·m into scales[48..80) (slot s = 4ib + k, row k = s % 4); all from scales[base].
     */
    private static void decodeScales(byte[] buf, int o, float[] scales, int base) {
        FloatVector d = FloatVector.broadcast(F, f16(buf, o)).blend(FloatVector.broadcast(F, f16(buf, o + 2)), ROW1)
                .blend(FloatVector.broadcast(F, f16(buf, o + 4)), ROW2).blend(FloatVector.broadcast(F, f16(buf, o + 6)), ROW3);
        FloatVector dmin = FloatVector.broadcast(F, f16(buf, o + 8)).blend(FloatVector.broadcast(F, f16(buf, o + 10)), ROW1)
                .blend(FloatVector.broadcast(F, f16(buf, o + 12)), ROW2).blend(FloatVector.broadcast(F, f16(buf, o + 14)), ROW3);
        for (int p = 0; p < 32; p += L) {
            ByteVector sl = ByteVector.fromArray(B, buf, o + 32 + p);
            ByteVector sh = ByteVector.fromArray(B, buf, o + 16 + (p & 15));
            if (p >= 16) sh = sh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
            ByteVector sc = sl.and((byte) 15).or(sh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
            ByteVector mn = sl.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(sh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
            FloatVector scf = ((FloatVector) sc.convertShape(VectorOperators.B2F, F, 0)).mul(d);
            int at = base + SPREAD + 4 * p; // block ib = p / 4 and the next L / 4 - 1
            if (L == 16) {
                scf.rearrange(SP0).intoArray(scales, at);
                scf.rearrange(SP4).intoArray(scales, at + 16);
                scf.rearrange(SP8).intoArray(scales, at + 32);
                scf.rearrange(SP12).intoArray(scales, at + 48);
            } else {
                scf.rearrange(SP0).intoArray(scales, at);
                scf.rearrange(SP2).intoArray(scales, at + 8);
                scf.rearrange(SP4).intoArray(scales, at + 16);
                scf.rearrange(SP6).intoArray(scales, at + 24);
            }
            ((FloatVector) mn.convertShape(VectorOperators.B2F, F, 0)).mul(dmin).intoArray(scales, base + 48 + p);
        }
    }

    /** Scratch slots of the accumulators: dot lanes (two vectors at 8 lanes), then the minimum lanes. */
    private static final int ACC = 128, MIN = 160, SPREAD = 192;
    /** Floats of scratch these kernels use. */
    static final int SCRATCH_FLOATS = SPREAD + 128;

    /*
     * One call per 256-column block with arrays and scalars only: its eight 32-column blocks accumulate in
     * registers (the low and high nibbles in two chains, then one FMA under the slot scales) and the block's sum
     * is added to scratch once. Each body is one loop nest, far below C2's inlining budget.
     */

    /**
     * The 256-column blocks of two groups staged at buf[bo] and buf[bo2]: Σ_ib d·sc·(q·x) added to each group's
     * accumulator lanes (the second's {@link #SCRATCH_FLOATS} on). Each expanded activation vector is loaded once
     * for both groups: at 16 lanes the activations of a long row come from L2, and this halves their traffic.
     */
    private static void block16(byte[] buf, int bo, int bo2, float[] ex, int e, float[] s) {
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        for (int ib = 0; ib < 8; ib++) {
            int q = bo + 64 + 64 * ib, q2 = bo2 + 64 + 64 * ib, x = e + EXPANDED * ib;
            FloatVector lo = FloatVector.zero(F), hi = lo, lo2 = lo, hi2 = lo;
            for (int c = 0; c < 4; c++) {
                FloatVector xl = FloatVector.fromArray(F, ex, x + 32 * c), xh = FloatVector.fromArray(F, ex, x + 32 * c + 16);
                ByteVector v = ByteVector.fromArray(B, buf, q + 16 * c), v2 = ByteVector.fromArray(B, buf, q2 + 16 * c);
                lo = ((FloatVector) v.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, lo);
                hi = ((FloatVector) v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(xh, hi);
                lo2 = ((FloatVector) v2.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, lo2);
                hi2 = ((FloatVector) v2.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(xh, hi2);
            }
            acc = lo.add(hi).fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib), acc);
            acc2 = lo2.add(hi2).fma(FloatVector.fromArray(F, s, SCRATCH_FLOATS + SPREAD + 16 * ib), acc2);
        }
        acc.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        acc2.add(FloatVector.fromArray(F, s, SCRATCH_FLOATS + ACC)).intoArray(s, SCRATCH_FLOATS + ACC);
    }

    /**
     * {@link #block16} for Q5_K_R4: chunk c's fifth bits (qh bits {@link #FIFTH_BIT}[c] and the next) moved to bit 4
     * by one 16-bit shift each (left or right; the bits that cross from the neighbouring byte are masked off).
     */
    private static void block16Five(byte[] buf, int bo, float[] ex, int e, float[] s) {
        FloatVector acc = FloatVector.zero(F);
        for (int ib = 0; ib < 8; ib++) {
            int q = bo + 192 + 64 * ib, x = e + EXPANDED * ib;
            ByteVector h = ByteVector.fromArray(B, buf, bo + 64 + 16 * ib);
            FloatVector lo = FloatVector.zero(F), hi = lo;
            for (int c = 0; c < 4; c++) {
                int bit = FIFTH_BIT[c];
                ByteVector hl = (bit <= 4 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - bit)
                        : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bit - 4)).reinterpretAsBytes().and((byte) 0x10);
                ByteVector hh = (bit <= 3 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3 - bit)
                        : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bit - 3)).reinterpretAsBytes().and((byte) 0x10);
                ByteVector v = ByteVector.fromArray(B, buf, q + 16 * c);
                lo = ((FloatVector) v.and((byte) 15).or(hl).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, x + 32 * c), lo);
                hi = ((FloatVector) v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hh)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, ex, x + 32 * c + 16), hi);
            }
            acc = lo.add(hi).fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib), acc);
        }
        acc.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
    }

    /** 8 lanes: rows 0, 1 in the first 8 bytes of a chunk (accumulator 0), rows 2, 3 in the next 8 (accumulator 1). */
    private static void block8(byte[] buf, int bo, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int ib = 0; ib < 8; ib++) {
            int q = bo + 64 + 64 * ib, x = e + EXPANDED * ib;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, h0 = a0, h1 = a0; // rows 0, 1 | 2, 3 × low | high nibbles
            for (int c = 0; c < 4; c++) {
                FloatVector xl = FloatVector.fromArray(F, ex, x + 16 * c), xh = FloatVector.fromArray(F, ex, x + 16 * c + 8);
                ByteVector v0 = ByteVector.fromArray(B, buf, q + 16 * c), v1 = ByteVector.fromArray(B, buf, q + 16 * c + 8);
                a0 = ((FloatVector) v0.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, a0);
                h0 = ((FloatVector) v0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).fma(xh, h0);
                a1 = ((FloatVector) v1.and((byte) 15).convertShape(VectorOperators.B2F, F, 0)).fma(xl, a1);
                h1 = ((FloatVector) v1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).fma(xh, h1);
            }
            a0 = a0.add(h0);
            a1 = a1.add(h1);
            acc0 = a0.fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib), acc0);
            acc1 = a1.fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib + 8), acc1);
        }
        acc0.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        acc1.add(FloatVector.fromArray(F, s, ACC + 8)).intoArray(s, ACC + 8);
    }

    /**
     * {@link #block8} for Q5_K_R4: each 32-column block's values (0..31) are assembled first with 16-byte operations
     * (the fifth bits as in {@link #block16Five}) into stage[DECODED..+128) (chunk c's low nibbles at 32c, its high
     * nibbles at 32c + 16), then widened 8 at a time: half the byte operations of assembling each 8-byte half.
     */
    private static void block8Five(byte[] buf, int bo, float[] ex, int e, float[] s) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int ib = 0; ib < 8; ib++) {
            int q = bo + 192 + 64 * ib, x = e + EXPANDED * ib;
            ByteVector h = ByteVector.fromArray(B16, buf, bo + 64 + 16 * ib);
            for (int c = 0; c < 4; c++) {
                int bit = FIFTH_BIT[c];
                ByteVector hl = (bit <= 4 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - bit)
                        : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bit - 4)).reinterpretAsBytes().and((byte) 0x10);
                ByteVector hh = (bit <= 3 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3 - bit)
                        : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bit - 3)).reinterpretAsBytes().and((byte) 0x10);
                ByteVector v = ByteVector.fromArray(B16, buf, q + 16 * c);
                v.and((byte) 15).or(hl).intoArray(buf, DECODED + 32 * c);
                v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hh).intoArray(buf, DECODED + 32 * c + 16);
            }
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int c = 0; c < 4; c++) {
                FloatVector xl = FloatVector.fromArray(F, ex, x + 16 * c), xh = FloatVector.fromArray(F, ex, x + 16 * c + 8);
                int d = DECODED + 32 * c;
                a0 = ((FloatVector) ByteVector.fromArray(B, buf, d + 16).convertShape(VectorOperators.B2F, F, 0))
                        .fma(xh, ((FloatVector) ByteVector.fromArray(B, buf, d).convertShape(VectorOperators.B2F, F, 0)).fma(xl, a0));
                a1 = ((FloatVector) ByteVector.fromArray(B, buf, d + 24).convertShape(VectorOperators.B2F, F, 0))
                        .fma(xh, ((FloatVector) ByteVector.fromArray(B, buf, d + 8).convertShape(VectorOperators.B2F, F, 0)).fma(xl, a1));
            }
            acc0 = a0.fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib), acc0);
            acc1 = a1.fma(FloatVector.fromArray(F, s, SPREAD + 16 * ib + 8), acc1);
        }
        acc0.add(FloatVector.fromArray(F, s, ACC)).intoArray(s, ACC);
        acc1.add(FloatVector.fromArray(F, s, ACC + 8)).intoArray(s, ACC + 8);
    }

    /** The block's minimum terms: dmin_k·m (slots s = 4ib + k, in scratch[48..80)) times the 32-column sums. */
    private static void minimums(float[] s, float[] ex, int sums, int base) {
        FloatVector m = FloatVector.fromArray(F, s, base + MIN);
        for (int p = 0; p < 32; p += L) m = FloatVector.fromArray(F, s, base + 48 + p).fma(FloatVector.fromArray(F, ex, sums + p), m);
        m.intoArray(s, base + MIN);
    }

    /**
     * Row k = the sum of its four dot lanes (row k in lanes 4k..4k+3 of the accumulator; at 8 lanes rows 2, 3 in
     * the second) less the minimum lanes with lane % 4 == k.
     */
    private static void finish(float[] s, float[] out, int o, int base) {
        for (int k = 0; k < 4; k++) {
            int a = base + ACC + 4 * k;
            float dot = s[a] + s[a + 1] + s[a + 2] + s[a + 3];
            float m = 0;
            for (int lane = k; lane < L; lane += 4) m += s[base + MIN + lane];
            out[o + k] = dot - m;
        }
    }
}
