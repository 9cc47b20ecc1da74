package kiln.runtime.kernel;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * The Vector API kernels of each plain (not interleaved) ggml type in one table, built once for this JVM's vector
 * width — ggml's {@code type_traits} for the runtime: a type's generation dot (a quantized row at {@code data[off]}
 * · an f32 activation row, straight from the mapping) and its row decoder (prompt batches dequantize each row once
 * for the register tiles). A type the width cannot serve has no kernel here, and {@link VectorKernels} falls back to
 * the type's codec ({@code kiln.tensor.codec}, which is also every kernel's scalar oracle in the tests): this is the
 * only place that decides it. Interleaved types have their own table ({@link InterleavedKernel#forType}).
 */
final class TypeKernels {
    private TypeKernels() {}

    /**
     * A quantized row · x[xo..xo+cols). {@code sums}: the activation's 32-value sums when {@link Entry#needsSums},
     * {@code stage}: this thread's byte scratch ({@link KQuantDots#scratchSize}), {@code scales}: 32 floats of scratch.
     */
    interface Dot {
        float dot(MemorySegment data, long off, float[] x, int xo, float[] sums, int cols, byte[] stage, float[] scales);
    }

    /** A quantized row at data[off] as cols floats into dst[0..cols). */
    interface Decode {
        void row(MemorySegment data, long off, int cols, byte[] stage, float[] dst);
    }

    /** One type's entry: either part may be null (no vector form at this width); needsSums: the dot reads {@link KQuantDots#sums}. */
    record Entry(Dot dot, Decode decode, boolean needsSums) {}

    private static final Map<GgmlType, Entry> TABLE = build();

    /** The type's kernels, or null when it has none at this width. */
    static Entry of(GgmlType t) {
        return TABLE.get(t);
    }

    /** The allocation-free scalar decoder of {@link FastRows} (bit-identical to the codec) for a type without a vector one. */
    private static Decode fastRows(GgmlType t) {
        return (d, o, n, st, y) -> FastRows.dequantize(t, d, o, y, n);
    }

    private static Map<GgmlType, Entry> build() {
        Map<GgmlType, Entry> m = new EnumMap<>(GgmlType.class);
        boolean bytes = VectorKernels.byteLanes(), kQuants = KQuantDots.supported();
        m.put(GgmlType.F32, new Entry((d, o, x, xo, s, n, st, sc) -> VectorKernels.dotF32(d, o, x, xo, n),
                fastRows(GgmlType.F32), false));
        m.put(GgmlType.F16, new Entry(null, fastRows(GgmlType.F16), false));
        m.put(GgmlType.BF16, new Entry((d, o, x, xo, s, n, st, sc) -> VectorKernels.dotBf16(d, o, x, xo, n),
                (d, o, n, st, y) -> VectorKernels.bf16ToFloat(d, o, y, n), false));
        m.put(GgmlType.Q8_0, bytes ? new Entry((d, o, x, xo, s, n, st, sc) -> VectorKernels.dotQ80(d, o, x, xo, n),
                (d, o, n, st, y) -> VectorKernels.dequantQ80(d, o, y, n), false)
                : new Entry(null, fastRows(GgmlType.Q8_0), false));
        if (bytes && VectorKernels.lanes() <= 16) { // (the Q8_KV dot steps 2·L values: a divisor of its rows' multiple of 32)
            m.put(GgmlType.Q8_KV, new Entry((d, o, x, xo, s, n, st, sc) -> VectorKernels.dotQ8Kv(d, o, x, xo, n),
                    (d, o, n, st, y) -> VectorKernels.dequantQ8Kv(d, o, y, n), false));
            m.put(GgmlType.Q5_0, new Entry((d, o, x, xo, s, n, st, sc) -> VectorKernels.dotQ50(d, o, x, xo, n),
                    (d, o, n, st, y) -> VectorKernels.dotQ50(d, o, null, 0, n, y), false));
        }
        if (kQuants) {
            m.put(GgmlType.Q4_K, new Entry(KQuantDots::q4k, (d, o, n, st, y) -> KQuantDots.k45Row(d, o, n, false, st, y), true));
            m.put(GgmlType.Q5_K, new Entry(KQuantDots::q5k, (d, o, n, st, y) -> KQuantDots.k45Row(d, o, n, true, st, y), true));
            m.put(GgmlType.Q6_K, new Entry((d, o, x, xo, s, n, st, sc) -> KQuantDots.q6k(d, o, x, xo, n, st, sc), KQuantDots::q6kRow, false));
            m.put(GgmlType.IQ4_XS, new Entry((d, o, x, xo, s, n, st, sc) -> KQuantDots.iq4xs(d, o, x, xo, n, st),
                    KQuantDots::iq4xsRow, false));
            m.put(GgmlType.IQ4_NL, new Entry((d, o, x, xo, s, n, st, sc) -> KQuantDots.iq4nl(d, o, x, xo, n, st),
                    KQuantDots::iq4nlRow, false));
        } else {
            m.put(GgmlType.Q4_K, new Entry(null, fastRows(GgmlType.Q4_K), false));
            m.put(GgmlType.Q6_K, new Entry(null, fastRows(GgmlType.Q6_K), false));
        }
        if (IqkDots.supported()) {
            for (GgmlType t : new GgmlType[] {GgmlType.IQ2_K, GgmlType.IQ3_K, GgmlType.IQ4_K, GgmlType.IQ5_K, GgmlType.IQ4_KS, GgmlType.IQ5_KS,
                    GgmlType.IQ2_KS, GgmlType.IQ3_KS, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S,
                    GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ1_KT, GgmlType.IQ2_KT, GgmlType.IQ3_KT, GgmlType.IQ4_KT,
                    GgmlType.IQ6_K, GgmlType.IQ4_KSS, GgmlType.IQ2_KL}) {
                IqkDots.Type k = IqkDots.of(t);
                m.put(t, new Entry((d, o, x, xo, s, n, st, sc) -> IqkDots.dot(k, d, o, x, xo, n, st, sc),
                        (d, o, n, st, y) -> IqkDots.row(k, d, o, n, st, y), false));
            }
        }
        return m;
    }
}
