package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/** The Vector API kernels against the scalar oracle, over awkward sizes and every type with a quantizer. */
class KernelsTest {
    static final int[] SIZES = {1, 13, 31, 32, 33, 255, 256, 257, 4096, 4098};

    @Test
    void vectorKernelsAreSelectedAndNamed() {
        assertTrue(KernelInfo.describe().contains("kernels"), KernelInfo.describe());
        assertNotNull(Kernels.select().name());
    }

    @Test
    void dotAndAxpyMatchScalar() {
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        Random r = new Random(1);
        for (int n : SIZES) {
            float[] a = rnd(r, n + 3), b = rnd(r, n + 5);
            assertEquals(s.dot(a, 3, b, 5, n), v.dot(a, 3, b, 5, n), 1e-4 * n, "dot n=" + n);
            float[] y1 = rnd(r, n), y2 = y1.clone();
            s.axpy(0.37f, a, 1, y1, 0, n);
            v.axpy(0.37f, a, 1, y2, 0, n);
            for (int i = 0; i < n; i++) assertEquals(y1[i], y2[i], 1e-5, "axpy n=" + n);
        }
    }

    /**
     * The tile form of the weighted row sums against the scalar oracle (one row at a time) and, bit for bit, against
     * the vector kernel called row by row (the attention's results must not depend on which form ran); awkward
     * sizes: query rows not a multiple of four, lengths not a multiple of the vector, interleaved strides.
     */
    @Test
    void weightedRowsTileMatchesRowByRow() {
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        Random r = new Random(7);
        for (int n : SIZES) {
            for (int nQ : new int[] {1, 3, 4, 5, 9, 16}) {
                for (int nRows : new int[] {1, 5, 32}) {
                    int stride = n + 3, wStride = nRows + 4, yStride = 2 * n + 1;
                    float[] rows = rnd(r, nRows * stride + 2), w = rnd(r, nQ * wStride + 1);
                    float[] y0 = rnd(r, nQ * yStride + 2), y1 = y0.clone(), y2 = y0.clone(), y3 = y0.clone();
                    s.addWeightedRowsTile(w, 1, wStride, nQ, rows, 2, stride, nRows, y1, 2, yStride, n);
                    v.addWeightedRowsTile(w, 1, wStride, nQ, rows, 2, stride, nRows, y2, 2, yStride, n);
                    for (int q = 0; q < nQ; q++) v.addWeightedRows(w, 1 + q * wStride, rows, 2, stride, nRows, y3, 2 + q * yStride, n);
                    String what = "n=" + n + " nQ=" + nQ + " nRows=" + nRows;
                    assertArrayEquals(y3, y2, "tile vs row by row, " + what);
                    for (int i = 0; i < y0.length; i++) assertEquals(y1[i], y2[i], 1e-5 * (1 + Math.abs(y1[i])) * nRows, "vs scalar, " + what);
                    boolean changed = false;
                    for (int i = 0; i < y0.length; i++) changed |= y0[i] != y2[i];
                    assertTrue(changed, "the sums moved, " + what);
                }
            }
        }
    }

    @Test
    void weightedRowsAndSoftmaxMatchScalar() {
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        Random r = new Random(4);
        for (int n : SIZES) {
            for (int nRows : new int[] {1, 7, 32}) {
                int stride = n + 5;
                float[] rows = rnd(r, nRows * stride + 3), w = rnd(r, nRows + 2);
                float[] y1 = rnd(r, n + 1), y2 = y1.clone();
                s.addWeightedRows(w, 2, rows, 3, stride, nRows, y1, 1, n);
                v.addWeightedRows(w, 2, rows, 3, stride, nRows, y2, 1, n);
                for (int i = 0; i < n + 1; i++) assertEquals(y1[i], y2[i], 1e-5 * (1 + Math.abs(y1[i])) * nRows, "rows n=" + n + " nRows=" + nRows);
            }
            float[] a = rnd(r, n + 2);
            for (int i = 0; i < a.length; i++) a[i] *= 8; // scores of a few units, as after the 1/sqrt(d) scale
            float[] b = a.clone();
            s.softmax(a, 1, n);
            v.softmax(b, 1, n);
            double sum = 0;
            for (int i = 1; i <= n; i++) {
                assertEquals(a[i], b[i], 1e-6 + 1e-5 * a[i], "softmax n=" + n);
                sum += b[i];
            }
            assertEquals(1.0, sum, 1e-5, "softmax sums to one, n=" + n);
            assertEquals(a[0], b[0]);
        }
    }

    @Test
    void matmulMatchesScalarForEveryQuantizableType() {
        Random r = new Random(2);
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS, GgmlType.IQ4_NL,
                GgmlType.IQ2_K, GgmlType.IQ3_K, GgmlType.IQ4_K, GgmlType.IQ5_K, GgmlType.IQ4_KS, GgmlType.IQ5_KS, GgmlType.IQ2_KS, GgmlType.IQ3_KS, GgmlType.Q8_KV}) {
            RowCodec c = Codecs.find(type);
            if (c == null || !c.canQuantize()) continue;
            for (int cols : SIZES) {
                if (cols % type.blockSize() != 0) continue;
                int rows = 7;
                Weight w = weight(type, c, rows, cols, r);
                for (int nTok : new int[] {1, 3, 9}) { // 9: two 4×4 prompt tiles, a leftover token and 3 leftover rows
                    float[] x = rnd(r, nTok * cols);
                    float[] o1 = new float[nTok * rows], o2 = new float[nTok * rows];
                    float[] buf = new float[4 * cols], group = new float[cols];
                    s.matmulRows(w, 0, rows, x, 0, cols, nTok, o1, 0, rows, buf, group);
                    v.matmulRows(w, 0, rows, x, 0, cols, nTok, o2, 0, rows, buf, group);
                    for (int i = 0; i < o1.length; i++) {
                        assertEquals(o1[i], o2[i], 1e-3 * Math.sqrt(cols), type + " cols=" + cols + " nTok=" + nTok);
                    }
                }
            }
        }
    }

    @Test
    void backendSplitsRowsOverThreadsExactlyOnce() {
        Random r = new Random(3);
        int rows = 1001, cols = 64;
        Weight w = weight(GgmlType.F32, Codecs.find(GgmlType.F32), rows, cols, r);
        float[] x = rnd(r, 2 * cols);
        float[] single = new float[2 * rows], multi = new float[2 * rows];
        try (Backend b1 = new Backend(new ScalarKernels(), 1, cols, 1, 2, Numerics.GGML_ROUNDED); Backend b3 = new Backend(new ScalarKernels(), 3, cols, 1, 2, Numerics.GGML_ROUNDED)) {
            b1.matmul(w, x, 0, cols, 2, single, 0, rows);
            b3.matmul(w, x, 0, cols, 2, multi, 0, rows);
        }
        assertArrayEquals(single, multi);
    }

    @Test
    void workerPoolRunsEveryTaskOnceAndPropagatesFailures() {
        try (WorkerPool p = new WorkerPool(4)) {
            for (int round = 0; round < 50; round++) {
                AtomicIntegerArray seen = new AtomicIntegerArray(37);
                p.run(37, (t, w) -> seen.incrementAndGet(t));
                for (int i = 0; i < 37; i++) assertEquals(1, seen.get(i));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.run(10, (t, w) -> {
                if (t == 5) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray after = new AtomicIntegerArray(3);
            p.run(3, (t, w) -> after.incrementAndGet(t));
            assertEquals(1, after.get(2));
        }
    }

    @Test
    void workerPoolHandsOffWhetherWorkersSpinOrPark() throws InterruptedException {
        try (WorkerPool p = new WorkerPool(3)) {
            long total = 0;
            for (int round = 0; round < 3000; round++) { // back to back: the workers are still spinning
                int n = 1 + round % 17;
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                int[] workers = new int[1];
                p.run(n, (t, w) -> {
                    seen.incrementAndGet(t);
                    if (w < 0 || w >= 3) workers[0] = -1;
                });
                for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "round " + round + " task " + i);
                assertEquals(0, workers[0]);
                total += n;
                if (round % 500 == 499) Thread.sleep(WorkerPool.SPIN_NANOS / 1_000_000 * 3); // the workers park
            }
            assertTrue(total > 0);
        }
    }

    static Weight weight(GgmlType type, RowCodec c, int rows, int cols, Random r) {
        long rb = type.rowSize(cols);
        MemorySegment seg = Arena.ofAuto().allocate(rb * rows, 64);
        for (int i = 0; i < rows; i++) c.quantize(rnd(r, cols), 0, seg, i * rb, cols, null);
        return new Weight("w", type, c, seg, rows, cols);
    }

    static float[] rnd(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
