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
 * Generation dots (one weight row · one f32 activation row) for the k-quants Q4_K, Q5_K and Q6_K, as fast as the
 * Vector API allows. What made the first kernels slow was not the arithmetic but the scalar work around it: the
 * 6-bit scale decoding, and the bounds checks of short vector loads from a mapped segment. So:
 * <ul>
 *   <li>a row's bytes are copied once into a per-thread array (a memcpy, L1-resident), and read with array loads;</li>
 *   <li>Q4_K/Q5_K scales and minimums are unpacked with ggml's four 32-bit mask operations ({@code utmp}), widened
 *       as eight byte lanes to floats in one step, and the minimums never touch the quants: the row's minimum term
 *       is Σ dmin·m·(sum of x over the 32 values), with the 32-value sums of x computed once per product
 *       ({@link #sums});</li>
 *   <li>nibbles are split with a 16-bit shift and a mask (x86 has no byte shift).</li>
 * </ul>
 * The scalar oracle is each type's codec ({@code kiln.tensor.codec}) through {@link ScalarKernels}.
 */
final class KQuantDots {
    private KQuantDots() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Eight scales of a 256-value block as byte lanes, and as floats. */
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** Bytes of per-thread scratch after the staged row: the unpacked scales and minimums. */
    private static final int SCALE_BYTES = 16;

    static boolean supported() {
        return L == 8 || L == 16;
    }

    /** Per-thread scratch: a row's bytes plus the scale bytes. */
    static byte[] scratch(long rowBytes) {
        return new byte[(int) rowBytes + SCALE_BYTES + 64];
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

    /** Unsigned byte shift right by 4, kept to the low nibble: in 16-bit lanes (x86 has no byte shift), then masked. */
    private static ByteVector high(ByteVector v) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }

    private static FloatVector floats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Q4_K (or Q5_K with {@code five}) row at {@code seg[off]} · x[xo..xo+cols), with xs the 32-value sums of that
     * x ({@link #sums}); {@code buf} from {@link #scratch}, {@code scl} 8 floats.
     */
    static float q45k(MemorySegment seg, long off, float[] x, int xo, float[] xs, int cols, boolean five, byte[] buf, float[] scl) {
        int nb = cols / 256, bb = five ? 176 : 144, qsAt = five ? 48 : 16;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, bb * nb);
        int sb = bb * nb;
        FloatVector acc = FloatVector.zero(F), acc2 = acc, mins = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++) {
            int o = bb * b;
            float d = f16(buf, o), dmin = f16(buf, o + 2);
            // ggml's utmp unpacking of the 12 scale bytes: scales 0..7 and minimums 0..7 as bytes
            int u0 = (int) INT.get(buf, o + 4), u1 = (int) INT.get(buf, o + 8), u2 = (int) INT.get(buf, o + 12);
            int sc47 = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
            int m47 = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
            LONG.set(buf, sb, (u0 & 0x3f3f3f3fL) | ((long) sc47 << 32));
            LONG.set(buf, sb + 8, (u1 & 0x3f3f3f3fL) | ((long) m47 << 32));
            FloatVector sc = (FloatVector) ByteVector.fromArray(B8, buf, sb).convertShape(VectorOperators.B2F, F8, 0);
            FloatVector mn = (FloatVector) ByteVector.fromArray(B8, buf, sb + 8).convertShape(VectorOperators.B2F, F8, 0);
            sc.mul(d).intoArray(scl, 0);
            mins = mn.mul(dmin).fma(FloatVector.fromArray(F8, xs, 8 * b), mins);
            int qs = o + qsAt, xb = xo + 256 * b;
            for (int j = 0; j < 4; j++) {
                FloatVector lo = FloatVector.zero(F), hi = lo;
                for (int p = 0; p < 32; p += L) {
                    ByteVector v = ByteVector.fromArray(B, buf, qs + 32 * j + p);
                    ByteVector ql = v.and((byte) 0x0F), qu = high(v);
                    if (five) { // the fifth bit of value p+lane: bit 2j (low nibbles) and 2j+1 (high) of qh[p+lane]
                        ByteVector h = ByteVector.fromArray(B, buf, o + 16 + p).reinterpretAsShorts()
                                .lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes();
                        ql = ql.or(h.and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                        qu = qu.or(h.and((byte) 2).lanewise(VectorOperators.LSHL, 3));
                    }
                    lo = floats(ql).fma(FloatVector.fromArray(F, x, xb + 64 * j + p), lo);
                    hi = floats(qu).fma(FloatVector.fromArray(F, x, xb + 64 * j + 32 + p), hi);
                }
                acc = lo.fma(FloatVector.broadcast(F, scl[2 * j]), acc);
                acc2 = hi.fma(FloatVector.broadcast(F, scl[2 * j + 1]), acc2);
            }
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD) - mins.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q6_K row · x: per 128-value half, value l (of 32) gets its low 4 bits from ql and 2 high bits from qh, q − 32
     * in byte lanes, widened to floats; each 16 values share one signed scale, applied to their partial sum.
     */
    static float q6k(MemorySegment seg, long off, float[] x, int xo, int cols, byte[] buf, float[] scl) {
        int nb = cols / 256;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, 210 * nb);
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        for (int b = 0; b < nb; b++) {
            int o = 210 * b;
            float d = f16(buf, o + 208);
            // the 16 signed scales times d, as floats
            for (int h = 0; h < 16; h += 8) {
                ((FloatVector) ByteVector.fromArray(B8, buf, o + 192 + h).convertShape(VectorOperators.B2F, F8, 0)).mul(d).intoArray(scl, h);
            }
            for (int half = 0; half < 2; half++) {
                int ql = o + 64 * half, qh = o + 128 + 32 * half, xb = xo + 256 * b + 128 * half, s = 8 * half;
                for (int l = 0; l < 32; l += L) {
                    int is = s + l / 16;
                    ByteVector a = ByteVector.fromArray(B, buf, ql + l), c = ByteVector.fromArray(B, buf, ql + l + 32);
                    ByteVector h = ByteVector.fromArray(B, buf, qh + l);
                    ByteVector h2 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes();
                    ByteVector h4 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
                    ByteVector h6 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 6).reinterpretAsBytes();
                    ByteVector q1 = a.and((byte) 0x0F).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q2 = c.and((byte) 0x0F).or(h2.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q3 = high(a).or(h4.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q4 = high(c).or(h6.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    FloatVector p1 = floats(q1).mul(FloatVector.fromArray(F, x, xb + l));
                    FloatVector p2 = floats(q2).mul(FloatVector.fromArray(F, x, xb + l + 32));
                    FloatVector p3 = floats(q3).mul(FloatVector.fromArray(F, x, xb + l + 64));
                    FloatVector p4 = floats(q4).mul(FloatVector.fromArray(F, x, xb + l + 96));
                    acc = p1.fma(FloatVector.broadcast(F, scl[is]), acc);
                    acc2 = p2.fma(FloatVector.broadcast(F, scl[is + 2]), acc2);
                    acc = p3.fma(FloatVector.broadcast(F, scl[is + 4]), acc);
                    acc2 = p4.fma(FloatVector.broadcast(F, scl[is + 6]), acc2);
                }
            }
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }
}
