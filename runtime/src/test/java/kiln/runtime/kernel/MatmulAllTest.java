package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Backend#matmulAll}: products in one dispatch give the bits {@link Backend#matmul} gives one by one. Scalar
 * kernels, so the comparison is bitwise (the Vector API's lane reductions may sum in another order before the JIT
 * compiles them); the Vector API kernels to within float rounding.
 */
class MatmulAllTest {
    @Test
    void productsInOneDispatchEqualProductsOneByOne() {
        Random r = new Random(5);
        int cols = 512;
        GgmlType[] types = {GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.BF16, GgmlType.Q4_K, GgmlType.Q5_0};
        int[] rows = {300, 64, 1000, 17, 129, 256};
        int[] tokens = {1, 1, 2, 1, 3, 1};
        for (Kernels k : new Kernels[] {new ScalarKernels(), VectorKernels.create()}) try (Backend b = new Backend(k, 2, cols, 1, 4, Numerics.FAST)) {
            assertTrue(b.fusesProducts(), "Kiln's numerics, no observer: one dispatch");
            Backend.Product[] ps = new Backend.Product[types.length];
            float[][] x = new float[types.length][], together = new float[types.length][], alone = new float[types.length][];
            Weight[] w = new Weight[types.length];
            for (int i = 0; i < types.length; i++) {
                w[i] = KernelsTest.weight(types[i], Codecs.find(types[i]), rows[i], cols, r);
                x[i] = KernelsTest.rnd(r, tokens[i] * cols + 7);
                together[i] = new float[tokens[i] * rows[i] + 3];
                alone[i] = new float[tokens[i] * rows[i] + 3];
                ps[i] = new Backend.Product().set(w[i], x[i], 7, cols, tokens[i], together[i], 3, rows[i], i % 2 == 0);
            }
            b.matmulAll(ps, types.length);
            for (int i = 0; i < types.length; i++) {
                b.matmul(w[i], x[i], 7, cols, tokens[i], alone[i], 3, rows[i]);
                if (k instanceof ScalarKernels) assertArrayEquals(alone[i], together[i], types[i] + " product " + i);
                else assertArrayEquals(alone[i], together[i], 1e-4f * (float) Math.sqrt(cols), types[i] + " product " + i);
            }
        }
    }
}
