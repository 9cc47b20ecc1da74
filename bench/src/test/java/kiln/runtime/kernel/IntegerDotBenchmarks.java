package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The candidates for an integer dot product in Java (issue 13: the Vector API has no {@code vpmaddubsw}): one
 * 4096-value dot of 8-bit weights (the staged values of a quantized row) against one activation row, each form with
 * the activations in the representation it needs (prepared once, as a per-product activation quantization would):
 * <ul>
 *   <li>{@code floatFma}: weights widened byte → float, FMA with f32 activations (what the kernels do today);</li>
 *   <li>{@code shortMultiplyWiden}: weights and int8 activations widened to 16 bits, multiplied in 16-bit lanes
 *       (|q·x| ≤ 127·127 fits), the products widened to 32 bits and added;</li>
 *   <li>{@code shortPairSum}: the same products, adjacent pairs summed in 32-bit lanes by a shift trick
 *       ({@code (v + (v << 16)) >> 16} on the products viewed as ints), then added;</li>
 *   <li>{@code autoVectorizedMultiplyAdd}: a plain loop over short arrays, {@code s += a[2i]·b[2i] + a[2i+1]·b[2i+1]},
 *       the shape C2's superword turns into {@code vpmaddwd} ({@code MulAddS2I}; {@code vpdpwssd} with VNNI);</li>
 *   <li>{@code scalarInt}: the plain integer loop, for scale.</li>
 * </ul>
 * Each returns the same integer sum (floats are exact here: |sum| < 2²⁴), which {@link #setup} checks. Run with
 * {@code JMH_BENCHMARKS=IntegerDotBenchmarks bench/jmh.sh}, and again with {@code -jvmArgsAppend -XX:MaxVectorSize=32}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class IntegerDotBenchmarks {
    static final int N = 4096;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BF = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.length() * 8));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private byte[] q, xq;
    private float[] x;
    private short[] qs, xs;

    @Setup
    public void setup() {
        Random r = new Random(1);
        q = new byte[N];
        xq = new byte[N];
        x = new float[N];
        qs = new short[N];
        xs = new short[N];
        for (int i = 0; i < N; i++) {
            q[i] = (byte) (r.nextInt(64) - 32);
            xq[i] = (byte) (r.nextInt(255) - 127);
            x[i] = xq[i];
            qs[i] = q[i];
            xs[i] = xq[i];
        }
        long want = scalarInt();
        long[] got = {(long) floatFma(), shortMultiplyWiden(), shortPairSum(), autoVectorizedMultiplyAdd()};
        for (long g : got) {
            if (g != want) throw new IllegalStateException("a candidate disagrees: " + g + " != " + want);
        }
    }

    @Benchmark
    public float floatFma() {
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        for (int i = 0; i < N; i += 2 * F.length()) {
            acc = ((FloatVector) ByteVector.fromArray(BF, q, i).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, i), acc);
            acc2 = ((FloatVector) ByteVector.fromArray(BF, q, i + F.length()).convertShape(VectorOperators.B2F, F, 0))
                    .fma(FloatVector.fromArray(F, x, i + F.length()), acc2);
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public int shortMultiplyWiden() {
        IntVector acc = IntVector.zero(I);
        for (int i = 0; i < N; i += S.length()) {
            ShortVector p = ((ShortVector) ByteVector.fromArray(BS, q, i).convertShape(VectorOperators.B2S, S, 0))
                    .mul((ShortVector) ByteVector.fromArray(BS, xq, i).convertShape(VectorOperators.B2S, S, 0));
            acc = acc.add((IntVector) p.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) p.convertShape(VectorOperators.S2I, I, 1));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public int shortPairSum() {
        IntVector acc = IntVector.zero(I);
        for (int i = 0; i < N; i += S.length()) {
            IntVector p = ShortVector.fromArray(S, qs, i).mul(ShortVector.fromArray(S, xs, i)).reinterpretAsInts();
            acc = acc.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public int autoVectorizedMultiplyAdd() {
        int s = 0;
        for (int i = 0; i < N / 2; i++) s += qs[2 * i] * xs[2 * i] + qs[2 * i + 1] * xs[2 * i + 1];
        return s;
    }

    @Benchmark
    public int scalarInt() {
        int s = 0;
        for (int i = 0; i < N; i++) s += q[i] * xq[i];
        return s;
    }
}
