package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread prompt products on interleaved weights (the 4×4 tiles): a 256 × 2048 weight — a ds-qlora expert's
 * gate — of each _R4/_R8 type (and the plain Q4_K, Q6_K beside them) times a batch of tokens (12: what a routed expert sees of a 128-token prompt; 128: a
 * dense product), through the Vector API kernels. Run with {@code JMH_BENCHMARKS=PromptTileBenchmarks bench/jmh.sh};
 * for an A/B against an older runtime, run the same class with that runtime's classes first on the class path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PromptTileBenchmarks {
    static final int ROWS = Integer.getInteger("pb.rows", 256), COLS = Integer.getInteger("pb.cols", 2048);

    @Param({"Q4_K_R4", "Q6_K_R4", "Q5_0_R4", "Q8_0_R8", "Q4_K", "Q6_K"})
    public String type;

    @Param({"12", "128"})
    public int tokens;

    private Weight w;
    private float[] x, out, rowBuf, group;
    private Kernels vector;

    @Setup(Level.Trial)
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        Random r = new Random(1);
        w = KernelBenchmarks.randomWeight(t, ROWS, COLS, r); // plain Q4_K/Q6_K beside them: the cost with nothing to undo
        x = new float[tokens * COLS];
        for (int j = 0; j < x.length; j++) x[j] = (float) r.nextGaussian();
        out = new float[tokens * ROWS];
        rowBuf = new float[4 * COLS];
        group = new float[Math.max(w.interleave() * COLS, InterleavedKernel.maxExpandedSize(COLS))];
        vector = VectorKernels.create();
    }

    @Benchmark
    public float[] tiles() {
        vector.matmulRows(w, 0, ROWS, x, 0, COLS, tokens, out, 0, ROWS, rowBuf, group);
        return out;
    }
}
