package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vector kernels of the table-lookup types — IQ4_NL, IQ4_XS ({@code KQuantDots}) and ik's IQ2_K … IQ5_K, IQ4_KS,
 * IQ5_KS ({@code IqkDots}) — against their scalar oracle, the type's codec:
 * prompt rows bit for bit, the generation dot within float rounding of the dot of the codec's values in doubles.
 * Runs at both widths (runtime's 256-bit surefire execution repeats it, {@code -XX:MaxVectorSize=32}).
 */
class LookupKernelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"IQ4_NL", "IQ4_XS", "IQ2_K", "IQ3_K", "IQ4_K", "IQ5_K", "IQ4_KS", "IQ5_KS", "IQ2_KS", "IQ3_KS", "IQ2_XXS", "IQ2_XS", "IQ2_S",
            "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "IQ1_KT", "IQ2_KT", "IQ3_KT", "IQ4_KT", "IQ6_K", "IQ4_KSS", "IQ2_KL", "Q8_KV"})
    void kernelsEqualTheCodec(String name) {
        assumeTrue(IqkDots.supported() && KQuantDots.supported(), "no lookup-type vector kernels at " + VectorKernels.describe());
        GgmlType type = GgmlType.valueOf(name);
        TypeKernels.Entry k = TypeKernels.of(type);
        assertNotNull(k, name + " has no entry in TypeKernels at " + VectorKernels.describe());
        // the types ik's kernels read other than its dequantize_row does (IQ2_KT/IQ3_KT: a row-scale factor;
        // IQ6_K: int8 table levels instead of the cubic) as the runtime runs them
        RowCodec view = kiln.tensor.codec.ik.IkKernelCodecs.forRuntime(type);
        RowCodec codec = view != null ? view : Codecs.find(type);
        boolean trellis = name.endsWith("_KT");
        // ik's later types also as random blocks: every index and extra bit pattern, not only what the quantizer writes
        boolean alsoRandom = type == GgmlType.IQ6_K || type == GgmlType.IQ4_KSS || type == GgmlType.IQ2_KL;
        Random r = new Random(11);
        // awkward sizes: one block, an odd number of blocks; Q8_KV's rows are multiples of 32
        int[] sizes = type == GgmlType.Q8_KV ? new int[] {32, 96, 4000} : new int[] {256, 768, 4096};
        for (int cols : sizes) {
            Weight w = !trellis && codec.canQuantize() && !codec.requiresImatrix() ? KernelsTest.weight(type, codec, 5, cols, r)
                    : randomBlocks(type, codec, 5, cols, r);
            check(name, k, codec, w, r);
            if (alsoRandom) check(name + " (random blocks)", k, codec, randomBlocks(type, codec, 5, cols, r), r);
        }
    }

    /** Every row of w: the prompt row bit for bit, the dot within float rounding of the codec values' dot in doubles. */
    private static void check(String name, TypeKernels.Entry k, RowCodec codec, Weight w, Random r) {
        int cols = w.cols();
        byte[] stage = new byte[KQuantDots.scratchSize(w.rowBytes())];
        float[] want = new float[cols], got = new float[cols], scales = new float[32];
        for (int row = 0; row < w.rows(); row++) {
            codec.dequantize(w.data(), row * w.rowBytes(), want, 0, cols);
            k.decode().row(w.data(), row * w.rowBytes(), cols, stage, got);
            if (w.type() == GgmlType.IQ3_KT) { // ik negates |v|·scale after the product, levels carry the sign before it: zeros may differ in sign only
                for (int i = 0; i < cols; i++) {
                    if (want[i] == 0f) want[i] = 0f;
                    if (got[i] == 0f) got[i] = 0f;
                }
            }
            assertArrayEquals(want, got, name + " row " + row + " of " + cols);
            float[] x = KernelsTest.rnd(r, cols + 3);
            double exact = 0, magnitude = 0;
            for (int j = 0; j < cols; j++) {
                exact += (double) want[j] * x[3 + j];
                magnitude += Math.abs((double) want[j] * x[3 + j]);
            }
            float dot = k.dot().dot(w.data(), row * w.rowBytes(), x, 3, null, cols, stage, scales);
            assertEquals(exact, dot, 1e-6 * magnitude + 1e-6, name + " dot, row " + row + " of " + cols);
        }
    }

    /**
     * Random bytes with a small positive scale: the fp16 super-block scale (IQ1_M: in the top nibbles of bytes 48..55),
     * or a row's f32 scale (the trellis types, IQ4_KSS) or fp16 scale (IQ2_KL) for the types with one.
     */
    static Weight randomBlocks(GgmlType type, RowCodec codec, int rows, int cols, Random r) {
        long rb = type.rowSize(cols);
        byte[] b = new byte[Math.toIntExact(rb * rows)];
        r.nextBytes(b);
        for (int row = 0; row < rows && type.rowMetaBytes() == 4; row++) {
            int bits = Float.floatToIntBits((float) Math.abs(r.nextGaussian()) * 0.01f + 1e-4f);
            for (int i = 0; i < 4; i++) b[(int) (row * rb) + i] = (byte) (bits >>> 8 * i);
        }
        for (int row = 0; row < rows && type.rowMetaBytes() == 2; row++) {
            short h = kiln.tensor.Fp16.floatToHalf((float) Math.abs(r.nextGaussian()) * 0.01f + 1e-4f);
            b[(int) (row * rb)] = (byte) h;
            b[(int) (row * rb) + 1] = (byte) (h >> 8);
        }
        for (int blk = 0; blk < b.length / type.typeSize() && type.rowMetaBytes() == 0; blk++) {
            int o = blk * type.typeSize();
            short h = kiln.tensor.Fp16.floatToHalf((float) Math.abs(r.nextGaussian()) * 0.01f + 1e-4f);
            if (type == GgmlType.IQ1_M) {
                for (int i = 0; i < 4; i++) b[o + 49 + 2 * i] = (byte) ((b[o + 49 + 2 * i] & 0x0F) | ((h >> 4 * i) & 0xF) << 4);
            } else {
                b[o] = (byte) h;
                b[o + 1] = (byte) (h >> 8);
            }
        }
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(b.length, 64);
        java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(b), 0, seg, 0, b.length);
        return new Weight("w", type, codec, seg, rows, cols);
    }
}
