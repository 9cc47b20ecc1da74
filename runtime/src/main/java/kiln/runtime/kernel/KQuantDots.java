package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Generation dots (one weight row · one f32 activation row) for Q4_K and Q6_K, the k-quants of the Q4_K_M mixes. What made the first kernels slow was not the arithmetic but the scalar work around it: the
 * 6-bit scale decoding, and the bounds checks of short vector loads from a mapped segment. So:
 * <ul>
 *   <li>a row's bytes are copied once into a per-thread array (a memcpy, L1-resident), and read with array loads;</li>
 *   <li>Q4_K scales and minimums are unpacked with ggml's four 32-bit mask operations ({@code utmp}), widened
 *       as eight byte lanes to floats in one step, and the minimums never touch the quants: the row's minimum term
 *       is Σ dmin·m·(sum of x over the 32 values), with the 32-value sums of x computed once per product
 *       ({@link #sums});</li>
 *   <li>nibbles are split with a 16-bit shift and a mask (x86 has no byte shift).</li>
 * </ul>
 * And one trap of the Vector API shapes them: C2 stops inlining a method's Vector API calls once it has parsed
 * about 18,000 nodes (a develop-only limit), and a vector that then crosses a call is boxed and every operation on it
 * runs the library's Java fallback (10× slower). So the bodies are split into methods whose interfaces hold
 * arrays and scalars only (Q6_K decodes a block into the scratch array, then multiplies it).
 * Q5_K and Q6_K decode each block to bytes first (256-bit byte operations, 32 values each), then widen; the Q6_K
 * generation dot decodes its whole row before reading any of it back: read back block by block right after it was
 * written, the Q6_K dot measured 349 µs per 1024 × 4096 product (JMH, one core), a row ahead 279–304 µs (the 16-byte
 * loads of each 32-byte store probably waiting on the store: failed store-to-load forwarding). The same change made
 * Q5_K's dot slower (318 → 370 µs), so Q5_K and the row decoders stay block by block.
 * The scalar oracle is each type's codec ({@code kiln.tensor.codec}) through {@link ScalarKernels}.
 */
final class KQuantDots {
    private KQuantDots() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Eight scales of a 256-value block as byte lanes, and as floats. */
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /** 32 byte lanes: the block decoders ({@link #q6kValues}, {@link #q5kValues}) work at 256 bits at either width. */
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** Bytes of per-thread scratch after the staged row: the unpacked scales and minimums. */
    private static final int SCALE_BYTES = 16;
    /** Bytes of one decoded block (its 256 values), the least scratch after the scale bytes ({@link IqkDots}' levels). */
    private static final int BLOCK_VALUES = 256;

    static boolean supported() {
        return L == 8 || L == 16;
    }

    /**
     * Bytes of per-thread scratch for rows of {@code rowBytes}: the row's bytes, the scale bytes, then room for the
     * whole row's values decoded to bytes (Q6_K: 256 per 210 bytes; under 2·rowBytes for every k-quant; at least one
     * block, which {@link IqkDots} uses).
     */
    static int scratchSize(long rowBytes) {
        return (int) (rowBytes + SCALE_BYTES + Math.max(BLOCK_VALUES, 2 * rowBytes) + 64);
    }

    /** Floats of {@link #sums} output for rows of {@code cols}. */
    static int sumsSize(int cols) {
        return cols / 32;
    }

    /** s[i] = x[xo + 32i] + … + x[xo + 32i + 31]: the 32-value sums the Q4_K/Q5_K minimums multiply. */
    static void sums(float[] x, int xo, int cols, float[] s) {
        for (int i = 0; i < cols / 32; i++) {
            FloatVector a = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) a = a.add(FloatVector.fromArray(F, x, xo + 32 * i + j));
            s[i] = a.reduceLanes(VectorOperators.ADD);
        }
    }

    private static float f16(byte[] b, int o) {
        return Float.float16ToFloat((short) SHORT.get(b, o));
    }

    /**
     * Unpacks block {@code o}'s 12 scale bytes with ggml's {@code utmp} masks into buf[sb..sb+16): scales 0..7, then
     * minimums 0..7, one byte each.
     */
    private static void unpackScales(byte[] buf, int o, int sb) {
        int u0 = (int) INT.get(buf, o + 4), u1 = (int) INT.get(buf, o + 8), u2 = (int) INT.get(buf, o + 12);
        int sc47 = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
        int m47 = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
        LONG.set(buf, sb, (u0 & 0x3f3f3f3fL) | ((long) sc47 << 32));
        LONG.set(buf, sb + 8, (u1 & 0x3f3f3f3fL) | ((long) m47 << 32));
    }

    /**
     * Q4_K row at {@code seg[off]} · x[xo..xo+cols), with xs the 32-value sums of that x ({@link #sums}); {@code buf}
     * from {@link #scratch}, {@code scl} 16 floats (scales, then the minimum terms lane by lane).
     */
    static float q4k(MemorySegment seg, long off, float[] x, int xo, float[] xs, int cols, byte[] buf, float[] scl) {
        int nb = cols / 256;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, 144 * nb);
        int sb = 144 * nb;
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        FloatVector.zero(F8).intoArray(scl, 8);
        for (int b = 0; b < nb; b++) {
            int o = 144 * b;
            unpackScales(buf, o, sb);
            scales(buf, sb, f16(buf, o), f16(buf, o + 2), xs, 8 * b, scl);
            int xb = xo + 256 * b;
            for (int j = 0; j < 4; j++) {
                FloatVector lo = FloatVector.zero(F), hi = lo;
                for (int p = 0; p < 32; p += L) {
                    ByteVector v = ByteVector.fromArray(B, buf, o + 16 + 32 * j + p);
                    lo = ((FloatVector) v.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 64 * j + p), lo);
                    hi = ((FloatVector) (v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 64 * j + 32 + p), hi);
                }
                acc = lo.fma(FloatVector.broadcast(F, scl[2 * j]), acc);
                acc2 = hi.fma(FloatVector.broadcast(F, scl[2 * j + 1]), acc2);
            }
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD) - FloatVector.fromArray(F8, scl, 8).reduceLanes(VectorOperators.ADD);
    }

    /**
     * The unpacked scale bytes at buf[sb..sb+16) as floats: d·scale into scl[0..8), and dmin·m·xs[xo..xo+8) added to
     * scl[8..16) (the row's minimum term, lane by lane). No vector crosses the call (see the class comment).
     */
    private static void scales(byte[] buf, int sb, float d, float dmin, float[] xs, int xo, float[] scl) {
        ((FloatVector) ByteVector.fromArray(B8, buf, sb).convertShape(VectorOperators.B2F, F8, 0)).mul(d).intoArray(scl, 0);
        FloatVector mn = (FloatVector) ByteVector.fromArray(B8, buf, sb + 8).convertShape(VectorOperators.B2F, F8, 0);
        mn.mul(dmin).fma(FloatVector.fromArray(F8, xs, xo), FloatVector.fromArray(F8, scl, 8)).intoArray(scl, 8);
    }

    /**
     * Q5_K row at {@code seg[off]} · x[xo..xo+cols), xs the 32-value sums of x ({@link #sums}): a block's 256 values
     * (0..31) are decoded into the scratch array in byte lanes ({@link #q5kValues}), then multiplied as Q4_K's are
     * ({@link #kBlockDot}); the minimums go through the sums as in {@link #q4k}.
     */
    static float q5k(MemorySegment seg, long off, float[] x, int xo, float[] xs, int cols, byte[] buf, float[] scl) {
        int nb = cols / 256;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, 176 * nb);
        int sb = 176 * nb, staged = sb + SCALE_BYTES;
        float sum = 0;
        FloatVector.zero(F8).intoArray(scl, 8);
        for (int b = 0; b < nb; b++) {
            int o = 176 * b;
            unpackScales(buf, o, sb);
            scales(buf, sb, f16(buf, o), f16(buf, o + 2), xs, 8 * b, scl);
            q5kValues(buf, o, staged);
            sum += kBlockDot(buf, staged, x, xo + 256 * b, scl);
        }
        return sum - FloatVector.fromArray(F8, scl, 8).reduceLanes(VectorOperators.ADD);
    }

    /**
     * A Q4_K ({@code five} false, 144-byte blocks) or Q5_K (176-byte blocks) row dequantized into dst[0..cols)
     * (prompt batches): values staged as bytes, then d·scale·q − dmin·m per 32-value sub-block.
     */
    static void k45Row(MemorySegment seg, long off, int cols, boolean five, byte[] buf, float[] dst) {
        int nb = cols / 256, bb = five ? 176 : 144;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, bb * nb);
        int sb = bb * nb, staged = sb + SCALE_BYTES;
        for (int b = 0; b < nb; b++) {
            int o = bb * b;
            unpackScales(buf, o, sb);
            if (five) q5kValues(buf, o, staged);
            else q4kValues(buf, o, staged);
            kBlockRow(buf, sb, staged, f16(buf, o), f16(buf, o + 2), dst, 256 * b);
        }
    }

    /** The 256 values (0..15) of Q4_K block {@code o} into buf[to..to+256): sub-block pair p is qs[32p..32p+32), low nibbles first. */
    private static void q4kValues(byte[] buf, int o, int to) {
        for (int p = 0; p < 4; p++) {
            ByteVector q = ByteVector.fromArray(B32, buf, o + 16 + 32 * p);
            q.and((byte) 0x0F).intoArray(buf, to + 64 * p);
            q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).intoArray(buf, to + 64 * p + 32);
        }
    }

    /**
     * The 256 values (0..31) of Q5_K block {@code o} into buf[to..to+256): value 64p + l (l < 32) is the low nibble
     * of qs[32p + l] plus bit 2p of qh[l] as 16, value 64p + 32 + l the high nibble plus bit 2p + 1. Bit k moves to
     * bit 4 by a 16-bit shift and the mask 0x10 (the bits that cross from the neighbouring byte land elsewhere).
     */
    private static void q5kValues(byte[] buf, int o, int to) {
        ByteVector h = ByteVector.fromArray(B32, buf, o + 16);
        for (int p = 0; p < 4; p++) {
            ByteVector q = ByteVector.fromArray(B32, buf, o + 48 + 32 * p);
            int lowBit = 2 * p, highBit = 2 * p + 1;
            ByteVector hl = (lowBit <= 4 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - lowBit)
                    : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, lowBit - 4)).reinterpretAsBytes().and((byte) 0x10);
            ByteVector hh = (highBit <= 4 ? h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - highBit)
                    : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, highBit - 4)).reinterpretAsBytes().and((byte) 0x10);
            q.and((byte) 0x0F).or(hl).intoArray(buf, to + 64 * p);
            q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hh).intoArray(buf, to + 64 * p + 32);
        }
    }

    /**
     * Σ over 8 sub-blocks of 32 staged values: scl[j] · (values · x); even and odd sub-blocks in separate chains.
     * {@link #q6kBlockDot} is the same loop over 16 sub-blocks of 16: one method with the sub-block size as a
     * parameter measured 2× slower for Q6_K (JMH, 1023 against 518 µs): C2 needs the constant bounds.
     */
    private static float kBlockDot(byte[] buf, int from, float[] x, int xb, float[] scl) {
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int j = 0; j < 8; j += 2) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int p = 0; p < 32; p += L) {
                s0 = ((FloatVector) ByteVector.fromArray(B, buf, from + 32 * j + p).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + 32 * j + p), s0);
                s1 = ((FloatVector) ByteVector.fromArray(B, buf, from + 32 * j + 32 + p).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + 32 * j + 32 + p), s1);
            }
            even = s0.fma(FloatVector.broadcast(F, scl[j]), even);
            odd = s1.fma(FloatVector.broadcast(F, scl[j + 1]), odd);
        }
        return even.add(odd).reduceLanes(VectorOperators.ADD);
    }

    /** dst[yo + 32j + i] = d·scale_j·value − dmin·m_j for the 256 staged values, scales and minimums unpacked at buf[sb..sb+16). */
    private static void kBlockRow(byte[] buf, int sb, int from, float d, float dmin, float[] dst, int yo) {
        for (int j = 0; j < 8; j++) {
            FloatVector scale = FloatVector.broadcast(F, d * buf[sb + j]), min = FloatVector.broadcast(F, -dmin * buf[sb + 8 + j]);
            for (int p = 0; p < 32; p += L) {
                ((FloatVector) ByteVector.fromArray(B, buf, from + 32 * j + p).convertShape(VectorOperators.B2F, F, 0))
                        .fma(scale, min).intoArray(dst, yo + 32 * j + p);
            }
        }
    }

    /**
     * Q6_K row · x, a 256-value block at a time, in two passes: {@link #q6kValues} assembles the block's 256 signed
     * values (q − 32) into a byte array with 256-bit byte operations (32 values per operation), then
     * {@link #q6kBlockDot} widens 16 at a time to floats against x, each 16 values under one signed scale d·s.
     * Decoding in byte lanes first costs about a third of what widening each 6-bit field on its own did.
     */
    static float q6k(MemorySegment seg, long off, float[] x, int xo, int cols, byte[] buf, float[] scl) {
        int nb = cols / 256;
        int rowBytes = 210 * nb;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, rowBytes);
        int staged = rowBytes + SCALE_BYTES;
        for (int b = 0; b < nb; b++) q6kValues(buf, 210 * b, staged + 256 * b); // the whole row first (class comment)
        float sum = 0;
        for (int b = 0; b < nb; b++) {
            int o = 210 * b;
            float d = f16(buf, o + 208);
            // the 16 signed scales times d, as floats
            ((FloatVector) ByteVector.fromArray(B8, buf, o + 192).convertShape(VectorOperators.B2F, F8, 0)).mul(d).intoArray(scl, 0);
            ((FloatVector) ByteVector.fromArray(B8, buf, o + 200).convertShape(VectorOperators.B2F, F8, 0)).mul(d).intoArray(scl, 8);
            sum += q6kBlockDot(buf, staged + 256 * b, x, xo + 256 * b, scl);
        }
        return sum;
    }

    /**
     * A Q6_K row dequantized into dst[0..cols) (prompt batches): each block's values staged as bytes
     * ({@link #q6kValues}), then (d·scale)·value per 16 values, ggml's order of the two products.
     */
    static void q6kRow(MemorySegment seg, long off, int cols, byte[] buf, float[] dst) {
        int nb = cols / 256;
        int rowBytes = 210 * nb;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, rowBytes);
        int staged = rowBytes + SCALE_BYTES;
        for (int b = 0; b < nb; b++) {
            int o = 210 * b;
            q6kValues(buf, o, staged);
            float d = f16(buf, o + 208);
            for (int g = 0; g < 16; g++) {
                FloatVector scale = FloatVector.broadcast(F, d * buf[o + 192 + g]);
                for (int p = 0; p < 16; p += L) {
                    ((FloatVector) ByteVector.fromArray(B, buf, staged + 16 * g + p).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scale).intoArray(dst, 256 * b + 16 * g + p);
                }
            }
        }
    }

    /**
     * Block {@code o}'s 256 values q − 32 into buf[to..to+256), in value order. Per 128-value half, value l (of 32)
     * of quarter k takes its low 4 bits from the low (k = 0, 1) or high (k = 2, 3) nibble of ql[l + 32(k % 2)] and
     * its top 2 bits from bits 2k, 2k+1 of qh[l]. Byte shifts are 16-bit shifts and a mask (the masked field never
     * crosses its byte).
     */
    private static void q6kValues(byte[] buf, int o, int to) {
        for (int half = 0; half < 2; half++) {
            int ql = o + 64 * half, y = to + 128 * half;
            ByteVector a = ByteVector.fromArray(B32, buf, ql), c = ByteVector.fromArray(B32, buf, ql + 32);
            ByteVector h = ByteVector.fromArray(B32, buf, o + 128 + 32 * half);
            a.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30))
                    .sub((byte) 32).intoArray(buf, y);
            c.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30))
                    .sub((byte) 32).intoArray(buf, y + 32);
            a.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(h.and((byte) 0x30))
                    .sub((byte) 32).intoArray(buf, y + 64);
            c.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                    .or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30))
                    .sub((byte) 32).intoArray(buf, y + 96);
        }
    }

    /**
     * Σ over the block's 16 groups of 16 values: scl[g] · (values · x), the values staged at buf[from..from+256).
     * Even and odd groups sum into separate accumulators (two dependency chains).
     */
    private static float q6kBlockDot(byte[] buf, int from, float[] x, int xb, float[] scl) {
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int g = 0; g < 16; g += 2) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int p = 0; p < 16; p += L) {
                s0 = ((FloatVector) ByteVector.fromArray(B, buf, from + 16 * g + p).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + 16 * g + p), s0);
                s1 = ((FloatVector) ByteVector.fromArray(B, buf, from + 16 * g + 16 + p).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + 16 * g + 16 + p), s1);
            }
            even = s0.fma(FloatVector.broadcast(F, scl[g]), even);
            odd = s1.fma(FloatVector.broadcast(F, scl[g + 1]), odd);
        }
        return even.add(odd).reduceLanes(VectorOperators.ADD);
    }

    /** The 16 bytes of {@code kvalues_iq4nl}, the IQ4_XS/IQ4_NL value table, as a byte vector (pshufb table). */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteVector IQ4_VALUES = ByteVector.fromArray(B16, kiln.tensor.codec.QuantMath.KVALUES_IQ4NL, 0);

    /** IQ4_XS block {@code o}'s scale of 32-value block ib: d·(ls − 32) (see {@link #iq4xs}). */
    private static float iq4xsScale(byte[] buf, int o, int ib) {
        int scalesH = (short) SHORT.get(buf, o + 2) & 0xFFFF;
        int ls = ((buf[o + 4 + ib / 2] & 0xFF) >> (4 * (ib % 2)) & 0xF) | ((scalesH >> (2 * ib)) & 3) << 4;
        return f16(buf, o) * (ls - 32);
    }

    /*
     * IQ4_XS and IQ4_NL share their values (kvalues_iq4nl[q & 15] for the first 16 of a 32-value block, [q >> 4] for the
     * last 16; the lookup is one byte shuffle) and differ only in where a 32-value block's 16 nibble bytes and its scale
     * are: IQ4_XS 136 bytes per 256 values (fp16 d, u16 scales_h, u8 scales_l[4], qs[128]; scale d·(ls − 32), ls = 4
     * bits of scales_l[ib/2] (nibble ib%2) | 2 bits of scales_h (2ib) << 4), IQ4_NL 18 bytes per 32 (fp16 d, qs[16]).
     * One kernel serves both; the type test is loop-invariant.
     */

    /** Bytes of a row of {@code cols} values. */
    private static int iq4RowBytes(boolean xs, int cols) {
        return xs ? cols / 256 * 136 : cols / 32 * 18;
    }

    /** Offset of 32-value block {@code ib}'s 16 quant bytes in the staged row. */
    private static int iq4Quants(boolean xs, int ib) {
        return xs ? 136 * (ib >> 3) + 8 + 16 * (ib & 7) : 18 * ib + 2;
    }

    /** Scale of 32-value block {@code ib}. */
    private static float iq4Scale(boolean xs, byte[] buf, int ib) {
        return xs ? iq4xsScale(buf, 136 * (ib >> 3), ib & 7) : f16(buf, 18 * ib);
    }

    /** An IQ4_XS row dequantized into dst[0..cols) (prompt batches): the values of {@link #iq4xs}, scaled. */
    static void iq4xsRow(MemorySegment seg, long off, int cols, byte[] buf, float[] dst) {
        iq4Row(true, seg, off, cols, buf, dst);
    }

    /** An IQ4_NL row dequantized into dst[0..cols). */
    static void iq4nlRow(MemorySegment seg, long off, int cols, byte[] buf, float[] dst) {
        iq4Row(false, seg, off, cols, buf, dst);
    }

    private static void iq4Row(boolean xs, MemorySegment seg, long off, int cols, byte[] buf, float[] dst) {
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, iq4RowBytes(xs, cols));
        for (int ib = 0; ib < cols / 32; ib++) {
            FloatVector dl = FloatVector.broadcast(F, iq4Scale(xs, buf, ib));
            ByteVector q = ByteVector.fromArray(B16, buf, iq4Quants(xs, ib));
            ByteVector lo = IQ4_VALUES.rearrange(q.and((byte) 0x0F).toShuffle());
            ByteVector hi = IQ4_VALUES.rearrange(q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).toShuffle());
            int yb = 32 * ib;
            for (int part = 0; part < 16 / L; part++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(dst, yb + L * part);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(dst, yb + 16 + L * part);
            }
        }
    }

    /** IQ4_XS row · x. */
    static float iq4xs(MemorySegment seg, long off, float[] x, int xo, int cols, byte[] buf) {
        return iq4Dot(true, seg, off, x, xo, cols, buf);
    }

    /** IQ4_NL row · x (attn_k_b/attn_v_b-sized rows, whose length is not a multiple of 256, are often IQ4_NL). */
    static float iq4nl(MemorySegment seg, long off, float[] x, int xo, int cols, byte[] buf) {
        return iq4Dot(false, seg, off, x, xo, cols, buf);
    }

    private static float iq4Dot(boolean xs, MemorySegment seg, long off, float[] x, int xo, int cols, byte[] buf) {
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, iq4RowBytes(xs, cols));
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        for (int ib = 0; ib < cols / 32; ib++) {
            float dl = iq4Scale(xs, buf, ib);
            ByteVector q = ByteVector.fromArray(B16, buf, iq4Quants(xs, ib));
            ByteVector lo = IQ4_VALUES.rearrange(q.and((byte) 0x0F).toShuffle());
            ByteVector hi = IQ4_VALUES.rearrange(q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).toShuffle());
            int xb = xo + 32 * ib;
            FloatVector blk = FloatVector.zero(F);
            for (int part = 0; part < 16 / L; part++) {
                blk = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).fma(FloatVector.fromArray(F, x, xb + L * part), blk);
                blk = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).fma(FloatVector.fromArray(F, x, xb + 16 + L * part), blk);
            }
            if ((ib & 1) == 0) acc = blk.fma(FloatVector.broadcast(F, dl), acc);
            else acc2 = blk.fma(FloatVector.broadcast(F, dl), acc2);
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }
}
