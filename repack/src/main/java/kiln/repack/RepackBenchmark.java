package kiln.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.Parallel;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;
import kiln.tensor.repack.TensorRepacker;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * In-memory repack/unpack throughput per interleaved type (a benchmark, not a test; no JMH): a tensor of random base
 * rows in off-heap memory is repacked and unpacked with 1..N threads, best of a few runs, GB/s of base bytes.
 *
 * <pre>java -cp kiln.jar kiln.repack.RepackBenchmark [MiB per tensor, default 256] [max threads] [types...]</pre>
 */
public final class RepackBenchmark {
    private RepackBenchmark() {}

    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
        int maxThreads = args.length > 1 ? Integer.parseInt(args[1]) : Parallel.defaultThreads();
        List<GgmlType> types = new ArrayList<>();
        for (int i = 2; i < args.length; i++) types.add(GgmlType.byName(args[i]));
        if (types.isEmpty()) {
            types = List.of(GgmlType.Q4_0_R8, GgmlType.Q8_0_R8, GgmlType.Q4_K_R4, GgmlType.Q6_K_R4, GgmlType.IQ4_XS_R8, GgmlType.BF16_R16);
        }
        System.out.printf(Locale.ROOT, "# %s, %d cores, %d MiB per tensor%n", Runtime.version(), Runtime.getRuntime().availableProcessors(), mib);
        System.out.println("type\tthreads\trepack GB/s\tunpack GB/s\trepack GB/cpu-s\tunpack GB/cpu-s");
        for (GgmlType t : types) {
            Interleaver il = Interleavers.requirePacked(t);
            long nPerRow = 4096;
            long groupBytes = il.baseGroupBytes(nPerRow);
            long groups = Math.max(1, (mib << 20) / groupBytes);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment base = arena.allocate(groups * groupBytes, 64);
                MemorySegment packed = arena.allocate(groups * il.groupBytes(nPerRow), 64);
                fill(base, t);
                for (int threads : threadCounts(maxThreads)) {
                    double[] rp = best(() -> run(il, base, packed, nPerRow, groups, threads, true), base.byteSize());
                    double[] up = best(() -> run(il, packed, base, nPerRow, groups, threads, false), base.byteSize());
                    System.out.printf(Locale.ROOT, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f%n", t.ggmlName(), threads, rp[0], up[0], rp[1], up[1]);
                }
            }
        }
    }

    /** 1, 2, 4, ... and max. */
    private static List<Integer> threadCounts(int max) {
        List<Integer> out = new ArrayList<>();
        for (int t = 1; t < max; t *= 2) out.add(t);
        out.add(max);
        return out;
    }

    private static void fill(MemorySegment s, GgmlType t) {
        Random rnd = new Random(t.id());
        byte[] chunk = new byte[1 << 20];
        rnd.nextBytes(chunk);
        for (long off = 0; off < s.byteSize(); off += chunk.length) {
            long n = Math.min(chunk.length, s.byteSize() - off);
            MemorySegment.copy(chunk, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, off, (int) n);
        }
    }

    private static void run(Interleaver il, MemorySegment src, MemorySegment dst, long nPerRow, long groups, int threads, boolean repack) {
        long per = Math.max(1, (4L << 20) / il.baseGroupBytes(nPerRow));
        long items = (groups + per - 1) / per;
        Parallel.forEach(items, threads, i -> {
            long from = i * per, to = Math.min(groups, from + per);
            if (repack) TensorRepacker.repack(il.baseType(), il, src, dst, nPerRow, from, to);
            else TensorRepacker.unpack(il, src, dst, nPerRow, from, to);
        });
    }

    /**
     * Best of 5 runs after one warm-up: GB/s of wall time, and GB per CPU-second of the whole process (which stays
     * meaningful on a machine shared with other work).
     */
    private static double[] best(Runnable r, long bytes) {
        r.run();
        double wall = Double.MAX_VALUE, cpu = Double.MAX_VALUE;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int i = 0; i < 5; i++) {
            long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            r.run();
            wall = Math.min(wall, (System.nanoTime() - t0) / 1e9);
            cpu = Math.min(cpu, (os.getProcessCpuTime() - c0) / 1e9);
        }
        return new double[] {bytes / wall / 1e9, bytes / cpu / 1e9};
    }
}
