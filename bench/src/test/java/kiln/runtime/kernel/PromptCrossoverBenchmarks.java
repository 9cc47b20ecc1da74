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
 * Where a small prompt batch should leave the generation kernels for the batched ones ({@code VectorKernels}'
 * {@code IN_PLACE_TOKENS}): a 256 × 2048 weight (a ds-qlora expert's gate) times 2–12 tokens on one thread, each
 * token through the one-token kernel ({@code path=perToken}: the in-place kernel of an _R4/_R8 type, the direct dot
 * of a plain one) or the batch at once ({@code path=batched}: the 4×4 tiles from four tokens, rows decoded once).
 * The path is the last parameter, so JMH runs the two side by side for each type and token count. Run with
 * {@code JMH_BENCHMARKS=PromptCrossoverBenchmarks bench/jmh.sh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PromptCrossoverBenchmarks {
    static final int ROWS = Integer.getInteger("pb.rows", 256), COLS = Integer.getInteger("pb.cols", 2048);

    @Param({"Q4_K", "Q6_K", "Q8_0", "Q4_K_R4", "Q8_0_R8"})
    public String type;

    @Param({"2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"})
    public int tokens;

    @Param({"perToken", "batched"})
    public String path;

    private Weight w;
    private float[] x, out, rowBuf, group;
    private VectorKernels vector;
    private boolean perToken;

    @Setup(Level.Trial)
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        Random r = new Random(1);
        w = KernelBenchmarks.randomWeight(t, ROWS, COLS, r).withPlan(MatmulPlan.kernelsOf(t, COLS)); // planned once, as at load
        x = new float[tokens * COLS];
        for (int j = 0; j < x.length; j++) x[j] = (float) r.nextGaussian();
        out = new float[tokens * ROWS];
        rowBuf = new float[4 * COLS];
        group = new float[Math.max(w.interleave() * COLS, InterleavedKernel.maxExpandedSize(COLS))];
        vector = (VectorKernels) VectorKernels.create();
        perToken = path.equals("perToken");
    }

    @Benchmark
    public float[] product() {
        if (perToken) {
            for (int t = 0; t < tokens; t++) vector.matmulRows(w, 0, ROWS, x, t * COLS, COLS, 1, out, t * ROWS, ROWS, rowBuf, group);
        } else if (w.interleave() > 1) {
            vector.interleavedBatch(w, w.plan(), 0, ROWS, x, 0, COLS, tokens, out, 0, ROWS, rowBuf, group);
        } else {
            vector.matmulRows(w, 0, ROWS, x, 0, COLS, tokens, out, 0, ROWS, rowBuf, group);
        }
        return out;
    }
}
