package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread throughput of the matrix-vector kernels (one token, the generation case): a 1024 × 4096 weight
 * of each type (interleaved _R4/_R8 types too) times one activation row, through Kiln's Vector API kernels, the
 * scalar oracle, and — for bf16 —
 * the reference summation orders (mainline/ik numerics). Run with {@code bench/jmh.sh}; results in the README.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmarks {
    static final int ROWS = Integer.getInteger("kb.rows", 1024), COLS = Integer.getInteger("kb.cols", 4096);

    @Param({"Q4_K", "Q5_K", "Q6_K", "Q5_0", "Q8_0", "BF16", "F16", "Q4_K_R4", "Q6_K_R4", "Q8_0_R8", "Q5_0_R4", "IQ4_XS",
            "IQ2_K", "IQ3_K", "IQ4_K", "IQ5_K", "IQ4_K_R4", "IQ4_KS", "IQ5_KS", "IQ4_NL", "IQ6_K", "IQ4_KSS", "IQ2_KL", "Q8_KV"})
    public String type;

    private Weight w;
    private float[] x, out, rowBuf, group;
    private Kernels vector, scalar;
    private Backend reference;

    /**
     * A {@code rows × cols} weight of type {@code t} from Gaussian values: plain types quantized row by row, interleaved
     * ones quantized to their base type and repacked as {@code kiln repack} does (shared with {@link PromptTileBenchmarks}).
     */
    static Weight randomWeight(GgmlType t, int rows, int cols, Random r) {
        if (t.interleave() > 1)
            return InterleavedKernelsTest.interleaved(kiln.tensor.repack.Interleavers.requirePacked(t), Codecs.find(t.base()), rows, cols, r);
        RowCodec c = Codecs.find(t);
        long rb = t.rowSize(cols);
        MemorySegment seg = Arena.ofAuto().allocate(rb * rows, 64);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) row[j] = (float) r.nextGaussian();
            c.quantize(row, 0, seg, i * rb, cols, null);
        }
        return new Weight("w", t, c, seg, rows, cols);
    }

    @Setup(Level.Trial)
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        Random r = new Random(1);
        w = randomWeight(t, ROWS, COLS, r);
        x = new float[COLS];
        for (int j = 0; j < COLS; j++) x[j] = (float) r.nextGaussian();
        out = new float[ROWS];
        rowBuf = new float[4 * COLS];
        group = new float[Math.max(w.interleave(), 5) * COLS];
        vector = VectorKernels.create();
        scalar = new ScalarKernels();
        reference = new Backend(vector, 1, COLS, w.interleave(), 1, Numerics.MAINLINE); // ggml's rounding, mainline's sums
        w = reference.planned(w); // its plan resolved once, as a loaded model's weights
    }

    @Benchmark
    public float[] vectorKernels() {
        vector.matmulRows(w, 0, ROWS, x, 0, COLS, 1, out, 0, ROWS, rowBuf, group);
        return out;
    }

    @Benchmark
    public float[] scalarOracle() {
        scalar.matmulRows(w, 0, ROWS, x, 0, COLS, 1, out, 0, ROWS, rowBuf, group);
        return out;
    }

    /** The bit-exact reference order (bf16: tinyBLAS lanes; other types fall back to the vector kernels). */
    @Benchmark
    public float[] referenceOrder() {
        reference.matmul(w, x, 0, COLS, 1, out, 0, ROWS);
        return out;
    }
}
