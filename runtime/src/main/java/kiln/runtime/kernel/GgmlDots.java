package kiln.runtime.kernel;

/**
 * Dot products summed in the order ggml's x86 AVX-512 kernels sum them, so that the float result is the
 * reference tool's bit for bit (given bit-identical inputs). The scalar forms are the reference: each SIMD lane is
 * an array slot, and every step rounds exactly where the instruction rounds. The vector forms
 * ({@link #bf16GemmRow}, {@link #bf16VecRow}, {@link #f32Gemm}) do the same sums in 16-lane vectors where those are
 * native, reading bf16 weights straight from their mapping.
 *
 * <ul>
 *   <li>{@link #bf16Gemm}: llamafile's tinyBLAS for BF16 × BF16 with AVX512-BF16 (what mainline's mul_mat uses
 *       for bf16 weights): one 16-lane accumulator, 32 values per step through {@code vdpbf16ps} (per lane: the
 *       odd product added, then the even one; bf16 products are exact in f32, so each add rounds once), then
 *       {@code _mm512_reduce_add_ps}.</li>
 *   <li>{@link #bf16Vec}: ggml_vec_dot_bf16 (mul_mat_id, i.e. the MoE experts): two such accumulators over 64
 *       values per step, each reduced and added in double, leftovers in double.</li>
 *   <li>{@link #f16Vec}: ggml_vec_dot_f16 (flash attention's K·Q): four 16-lane FMA accumulators over 64 values per
 *       step, folded pairwise, reduced, leftovers in double.</li>
 * </ul>
 * The inputs are floats that already hold bf16 / f16 values (ggml rounds activations before these kernels).
 */
public final class GgmlDots {
    private GgmlDots() {}

    private static final jdk.incubator.vector.VectorSpecies<Float> S16 = jdk.incubator.vector.FloatVector.SPECIES_512;
    /** The vector forms run where 16 float lanes are native (AVX-512); elsewhere the scalar forms do the same sums. */
    static final boolean VECTOR = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() >= 16;

    /**
     * The "split" layout of the vector forms: each 32-value block as its 16 odd values then its 16 even values, so
     * that one 16-lane load is one operand of {@code vdpbf16ps}'s first (odd) or second (even) step.
     */
    public static void splitPairs(float[] src, int so, float[] dst, int dOff, int n) {
        for (int b = 0; b + 32 <= n; b += 32) {
            for (int l = 0; l < 16; l++) {
                dst[dOff + b + l] = src[so + b + 2 * l + 1];
                dst[dOff + b + 16 + l] = src[so + b + 2 * l];
            }
        }
    }

    private static final jdk.incubator.vector.VectorSpecies<Integer> I16 = jdk.incubator.vector.IntVector.SPECIES_512;

    /** The odd (high half) and even (low half) bf16 values of 16 little-endian pairs, as floats. */
    private static jdk.incubator.vector.FloatVector odd(jdk.incubator.vector.IntVector pairs) {
        return pairs.and(0xFFFF0000).reinterpretAsFloats();
    }

    private static jdk.incubator.vector.FloatVector even(jdk.incubator.vector.IntVector pairs) {
        return pairs.lanewise(jdk.incubator.vector.VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * {@link #bf16Gemm} of a bf16 weight row read straight from its mapping (each 32-bit load holds an even/odd
     * pair) with split activations (bit-identical; needs {@link #VECTOR}).
     */
    public static float bf16GemmRow(java.lang.foreign.MemorySegment w, long off, float[] bs, int bso, int n) {
        jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.zero(S16);
        for (int i = 0; i < n; i += 32) {
            jdk.incubator.vector.IntVector p = jdk.incubator.vector.IntVector.fromMemorySegment(I16, w, off + 2L * i, java.nio.ByteOrder.LITTLE_ENDIAN);
            acc = odd(p).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i), acc);
            acc = even(p).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i + 16), acc);
        }
        float[] lanes = LANES.get();
        acc.intoArray(lanes, 0);
        return reduce16(lanes, 0);
    }

    /** {@link #bf16Vec} of a bf16 weight row read straight from its mapping (see {@link #bf16GemmRow}). */
    public static float bf16VecRow(java.lang.foreign.MemorySegment w, long off, float[] bs, int bso, float[] b, int bo, int n) {
        float[] lanes = LANES.get();
        int full = n / 64 * 64;
        jdk.incubator.vector.FloatVector c1 = jdk.incubator.vector.FloatVector.zero(S16), c2 = c1;
        for (int i = 0; i < full; i += 64) {
            jdk.incubator.vector.IntVector p1 = jdk.incubator.vector.IntVector.fromMemorySegment(I16, w, off + 2L * i, java.nio.ByteOrder.LITTLE_ENDIAN);
            jdk.incubator.vector.IntVector p2 = jdk.incubator.vector.IntVector.fromMemorySegment(I16, w, off + 2L * i + 64, java.nio.ByteOrder.LITTLE_ENDIAN);
            c1 = odd(p1).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i), c1);
            c1 = even(p1).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i + 16), c1);
            c2 = odd(p2).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i + 32), c2);
            c2 = even(p2).fma(jdk.incubator.vector.FloatVector.fromArray(S16, bs, bso + i + 48), c2);
        }
        c1.intoArray(lanes, 0);
        c2.intoArray(lanes, 16);
        double sum = twoAccumulators(lanes);
        for (int i = full; i < n; i++) {
            float wi = Float.intBitsToFloat((w.get(kiln.tensor.LittleEndian.SHORT, off + 2L * i) & 0xFFFF) << 16);
            sum += wi * b[bo + i];
        }
        return (float) sum;
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[64]);

    /** tinyBLAS BF16 gemm dot of n values (n a multiple of 32). */
    public static float bf16Gemm(float[] a, int ao, float[] b, int bo, int n) {
        float[] acc = LANES.get();
        java.util.Arrays.fill(acc, 0, 16, 0f);
        dpbf16(acc, 0, a, ao, b, bo, n, 32);
        return reduce16(acc, 0);
    }

    /**
     * F32 × F32 as tinyBLAS (mainline) and ik's float GEMM compute it on AVX-512: 16 lanes, 16 values per step
     * through FMAs, then {@code _mm512_reduce_add_ps} (n a multiple of 16).
     */
    public static float f32Gemm(float[] a, int ao, float[] b, int bo, int n, boolean vector) {
        float[] acc = LANES.get();
        if (vector && VECTOR) {
            jdk.incubator.vector.FloatVector v = jdk.incubator.vector.FloatVector.zero(S16);
            for (int i = 0; i < n; i += 16) {
                v = jdk.incubator.vector.FloatVector.fromArray(S16, a, ao + i).fma(jdk.incubator.vector.FloatVector.fromArray(S16, b, bo + i), v);
            }
            v.intoArray(acc, 0);
            return reduce16(acc, 0);
        }
        java.util.Arrays.fill(acc, 0, 16, 0f);
        for (int i = 0; i < n; i += 16) {
            for (int l = 0; l < 16; l++) acc[l] = Math.fma(a[ao + i + l], b[bo + i + l], acc[l]);
        }
        return reduce16(acc, 0);
    }

    /** ggml_vec_dot_bf16 of n values. */
    public static float bf16Vec(float[] a, int ao, float[] b, int bo, int n) {
        float[] acc = LANES.get();
        java.util.Arrays.fill(acc, 0, 32, 0f);
        int full = n / 64 * 64;
        dpbf16(acc, 0, a, ao, b, bo, full, 64);
        dpbf16(acc, 16, a, ao + 32, b, bo + 32, full, 64);
        double sum = twoAccumulators(acc);
        for (int i = full; i < n; i++) sum += a[ao + i] * b[bo + i];
        return (float) sum;
    }

    /** ggml_vec_dot_bf16's two 16-lane accumulators (lanes[0..32)), each reduced, added in double. */
    private static double twoAccumulators(float[] lanes) {
        double sum = 0;
        sum += reduce16(lanes, 0);
        sum += reduce16(lanes, 16);
        return sum;
    }

    /** ggml_vec_dot_f16 of n values (AVX-512: GGML_F16_STEP 64, 16 lanes, 4 accumulators). */
    public static float f16Vec(float[] a, int ao, float[] b, int bo, int n) {
        float[] acc = LANES.get();
        java.util.Arrays.fill(acc, 0, 64, 0f);
        int full = n / 64 * 64;
        for (int i = 0; i < full; i += 64) {
            for (int j = 0; j < 64; j++) acc[j] = Math.fma(a[ao + i + j], b[bo + i + j], acc[j]);
        }
        for (int l = 0; l < 16; l++) {
            acc[l] += acc[32 + l];
            acc[16 + l] += acc[48 + l];
        }
        for (int l = 0; l < 16; l++) acc[l] += acc[16 + l];
        double sum = reduce16(acc, 0);
        for (int i = full; i < n; i++) sum += a[ao + i] * b[bo + i];
        return (float) sum;
    }

    /**
     * vdpbf16ps over [0, n) in steps of {@code step}: lane l of the 16 at acc[accOff..] takes values 2l and 2l+1 of
     * each 32-value block starting at every multiple of {@code step}.
     */
    private static void dpbf16(float[] acc, int accOff, float[] a, int ao, float[] b, int bo, int n, int step) {
        for (int i = 0; i < n; i += step) {
            for (int l = 0; l < 16; l++) {
                int k = i + 2 * l;
                float s = acc[accOff + l];
                s += a[ao + k + 1] * b[bo + k + 1];
                s += a[ao + k] * b[bo + k];
                acc[accOff + l] = s;
            }
        }
    }

    /** _mm512_reduce_add_ps as GCC defines it: halves of 256, then 128 bits, then lanes (0+2, 1+3), then the two. */
    static float reduce16(float[] v, int o) {
        float t0 = v[o] + v[o + 8], t1 = v[o + 1] + v[o + 9], t2 = v[o + 2] + v[o + 10], t3 = v[o + 3] + v[o + 11];
        float t4 = v[o + 4] + v[o + 12], t5 = v[o + 5] + v[o + 13], t6 = v[o + 6] + v[o + 14], t7 = v[o + 7] + v[o + 15];
        float u0 = t0 + t4, u1 = t1 + t5, u2 = t2 + t6, u3 = t3 + t7;
        float w0 = u0 + u2, w1 = u1 + u3;
        return w0 + w1;
    }
}
