package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kernels that read interleaved rows in place (Q4_K_R4) against the scalar oracle (the repack codec's group
 * dequantizer and a sequential dot product). Runs at the JVM's preferred width; the build runs the kernel tests a
 * second time with 256-bit vectors (-XX:MaxVectorSize=32), so both the AVX-512 and the AVX2 bodies are checked.
 */
class InterleavedKernelsTest {

    @Test
    void kernelsRunAtTheWidthTheJvmAllows() {
        var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        int maxBytes = Integer.parseInt(bean.getVMOption("MaxVectorSize").getValue());
        int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertTrue(bits <= 8 * maxBytes, bits + "-bit kernels with MaxVectorSize=" + maxBytes);
        assertTrue(VectorKernels.describe().startsWith(bits + "-bit"), VectorKernels.describe());
        System.out.println("InterleavedKernelsTest: " + VectorKernels.describe() + " (MaxVectorSize=" + maxBytes + ")");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Q4_K_R4", "Q5_K_R4", "Q6_K_R4", "Q5_0_R4", "Q8_0_R8", "IQ4_XS_R8",
            "IQ2_K_R4", "IQ3_K_R4", "IQ4_K_R4", "IQ5_K_R4", "IQ4_KS_R4", "IQ5_KS_R4", "Q8_KV_R8"})
    void interleavedKernelsMatchTheScalarOracle(String name) {
        GgmlType type = GgmlType.valueOf(name);
        Random r = new Random(5);
        Interleaver il = Interleavers.requirePacked(type);
        RowCodec base = Codecs.find(il.baseType());
        InterleavedKernel kernel = InterleavedKernel.forType(type);
        // IQ4_XS_R8, IQ*_K_R4 and Q8_KV_R8 have no in-place kernel: generation unpacks groups for the base type's dot, prompts unpack too
        if (type != GgmlType.IQ4_XS_R8 && type != GgmlType.Q8_KV_R8 && !type.name().startsWith("IQ")) assertNotNull(kernel, "no " + type + " kernel at " + VectorKernels.describe());
        int n = il.rows();
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        int[] colSizes = type.blockSize() == 32 ? new int[] {32, 96, 4096} : new int[] {256, 512, 2304, 4096}; // 4096: the two-group bodies stage a group in more than one chunk
        for (int cols : colSizes) {
            for (int rows : new int[] {n, 3 * n, 9 * n}) {
                Weight w = interleaved(il, base, rows, cols, r);
                for (int nTok : new int[] {1, 3, 5, 9}) {
                    float[] x = KernelsTest.rnd(r, nTok * cols + 7);
                    float[] o1 = new float[nTok * rows], o2 = new float[nTok * rows];
                    float[] buf = new float[4 * cols], group = new float[Math.max(n * cols, kernel == null ? 0 : kernel.expandedSize(cols))];
                    s.matmulRows(w, 0, rows, x, 7, cols, nTok, o1, 0, rows, buf, group);
                    v.matmulRows(w, 0, rows, x, 7, cols, nTok, o2, 0, rows, buf, group);
                    for (int i = 0; i < o1.length; i++) {
                        assertEquals(o1[i], o2[i], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(o1[i])), type + " cols=" + cols + " rows=" + rows + " nTok=" + nTok + " i=" + i);
                    }
                    // a row range that starts inside the tensor (as Backend's tasks do)
                    float[] o3 = new float[nTok * rows];
                    v.matmulRows(w, n, rows, x, 7, cols, nTok, o3, 0, rows, buf, group);
                    for (int t = 0; t < nTok; t++) {
                        for (int i = 0; i < n; i++) assertEquals(0f, o3[t * rows + i]);
                        // the same arithmetic; only the JIT's lane-reduction order may differ between the two calls
                        for (int i = n; i < rows; i++) assertEquals(o2[t * rows + i], o3[t * rows + i], 1e-5 * (1 + Math.abs(o2[t * rows + i])));
                    }
                }
            }
        }
    }

    /** The runtime's Q8_KV_R8 unpack equals the interleaver's exact one except for the quant sums it leaves unwritten. */
    @Test
    void q8KvR8RowsAreTheInterleaversWithoutSums() {
        Random r = new Random(398);
        Interleaver il = Interleavers.requirePacked(GgmlType.Q8_KV_R8);
        for (int cols : new int[] {32, 96, 4096}) {
            byte[] packed = new byte[Math.toIntExact(il.groupBytes(cols) * 2)];
            r.nextBytes(packed);
            byte[] exact = new byte[Math.toIntExact(il.baseGroupBytes(cols) * 2)], fast = new byte[exact.length];
            for (int g = 0; g < 2; g++) {
                il.unpack(MemorySegment.ofArray(packed), g * il.groupBytes(cols), MemorySegment.ofArray(exact), g * il.baseGroupBytes(cols), cols);
                Q8KvR8Rows.unpack(MemorySegment.ofArray(packed), g * il.groupBytes(cols), MemorySegment.ofArray(fast), g * il.baseGroupBytes(cols), cols);
            }
            for (int row = 0; row < 16; row++) {
                int o = row * (8 + cols);
                for (int i = 4; i < 8; i++) exact[o + i] = 0; // the sum
            }
            assertArrayEquals(exact, fast, "cols=" + cols);
        }
    }

    /**
     * The grid types' four-row forms (unpacked to their base rows) and ik's IQ1_S_R4 (rewritten as IQ1_S rows) and
     * IQ1_M_R4 (the codec's group path) on random blocks with valid scales: the vector path equals the scalar oracle.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"IQ2_XXS_R4", "IQ2_XS_R4", "IQ2_S_R4", "IQ3_XXS_R4", "IQ3_S_R4", "IQ1_S_R4", "IQ1_M_R4"})
    void gridFourRowTypesMatchTheScalarOracle(String name) {
        GgmlType type = GgmlType.valueOf(name);
        Random r = new Random(7);
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        for (int cols : new int[] {256, 768}) {
            int rows = 12;
            Weight w = randomGroups(type, rows, cols, r);
            for (int nTok : new int[] {1, 5}) {
                float[] x = KernelsTest.rnd(r, nTok * cols + 7);
                float[] o1 = new float[nTok * rows], o2 = new float[nTok * rows];
                float[] buf = new float[4 * cols], group = new float[4 * cols];
                s.matmulRows(w, 0, rows, x, 7, cols, nTok, o1, 0, rows, buf, group);
                v.matmulRows(w, 0, rows, x, 7, cols, nTok, o2, 0, rows, buf, group);
                for (int i = 0; i < o1.length; i++) {
                    assertEquals(o1[i], o2[i], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(o1[i])), type + " cols=" + cols + " nTok=" + nTok + " i=" + i);
                }
            }
        }
    }

    private static Weight randomGroups(GgmlType type, int rows, int cols, Random r) {
        long bytes = type.rowSize(cols) * rows;
        MemorySegment seg = Arena.ofAuto().allocate(bytes, 64);
        Interleaver il = Interleavers.forPacked(type);
        if (il != null) {
            Weight base = LookupKernelsTest.randomBlocks(il.baseType(), Codecs.find(il.baseType()), rows, cols, r);
            for (int g = 0; g < rows / 4; g++) il.repack(base.data(), g * il.baseGroupBytes(cols), seg, g * il.groupBytes(cols), cols);
        } else {
            byte[] b = new byte[Math.toIntExact(bytes)];
            r.nextBytes(b);
            long group = type.rowSize(cols) * 4;
            for (int g = 0; g < rows / 4; g++) {
                for (int k = 0; k < 4; k++) {
                    short h = kiln.tensor.Fp16.floatToHalf((float) Math.abs(r.nextGaussian()) * 0.01f + 1e-4f);
                    b[(int) (g * group) + 2 * k] = (byte) h;
                    b[(int) (g * group) + 2 * k + 1] = (byte) (h >> 8);
                }
            }
            MemorySegment.copy(MemorySegment.ofArray(b), 0, seg, 0, bytes);
        }
        return new Weight("w", type, Codecs.find(type), seg, rows, cols);
    }

    @Test
    void q4kR4AllZeroAndExtremeBlocks() {
        Interleaver il = Interleavers.requirePacked(GgmlType.Q4_K_R4);
        RowCodec base = Codecs.find(GgmlType.Q4_K);
        int rows = 4, cols = 512;
        float[][] fills = {new float[rows * cols], new float[rows * cols]};
        for (int i = 0; i < rows * cols; i++) fills[1][i] = (i % 3 == 0 ? 6e4f : -6e4f) * ((i / cols) + 1) / 4;
        Kernels v = VectorKernels.create(), s = new ScalarKernels();
        for (float[] fill : fills) {
            Weight w = interleaved(il, base, rows, cols, fill);
            float[] x = KernelsTest.rnd(new Random(6), cols);
            float[] o1 = new float[rows], o2 = new float[rows];
            float[] buf = new float[4 * cols], group = new float[Math.max(rows * cols, KQuantR4Kernel.Q4_K_R4.expandedSize(cols))]; // as Backend sizes it: the scalar oracle dequantizes a group into it
            s.matmulRows(w, 0, rows, x, 0, cols, 1, o1, 0, rows, buf, group);
            v.matmulRows(w, 0, rows, x, 0, cols, 1, o2, 0, rows, buf, group);
            for (int i = 0; i < rows; i++) assertEquals(o1[i], o2[i], 1e-5 * (1 + Math.abs(o1[i])), "row " + i);
        }
    }

    static Weight interleaved(Interleaver il, RowCodec base, int rows, int cols, Random r) {
        return interleaved(il, base, rows, cols, KernelsTest.rnd(r, rows * cols));
    }

    static Weight interleaved(Interleaver il, RowCodec base, int rows, int cols, float[] values) {
        GgmlType bt = il.baseType();
        long rb = bt.rowSize(cols);
        MemorySegment plain = Arena.ofAuto().allocate(rb * rows, 64);
        for (int i = 0; i < rows; i++) base.quantize(values, i * cols, plain, i * rb, cols, null);
        MemorySegment packed = Arena.ofAuto().allocate(il.packedType().rowSize(cols) * rows, 64);
        long gb = il.groupBytes(cols);
        for (int g = 0; g < rows / il.rows(); g++) il.repack(plain, g * il.baseGroupBytes(cols), packed, g * gb, cols);
        RowCodec codec = new RowCodec() {
            @Override
            public GgmlType type() {
                return il.packedType();
            }

            @Override
            public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
                il.dequantize(src, srcOffset, n / il.rows(), dst, dstOff);
            }
        };
        return new Weight("w", il.packedType(), codec, packed, rows, cols);
    }
}
