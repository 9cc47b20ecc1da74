package kiln.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * End-to-end {@code kiln repack} throughput, file to file (a benchmark, not a test): writes a synthetic GGUF of
 * {@code GiB} gibibytes of {@code TYPE} matrices (4096 × 4096, random bytes) into {@code DIR}, then times repack
 * and undo with the given thread counts. GB/s = tensor bytes / wall seconds (page cache warm after the first run).
 *
 * <pre>java -cp kiln.jar kiln.repack.RepackFileBenchmark DIR [GiB=2] [TYPE=q4_K] [threads=1,2,all]</pre>
 */
public final class RepackFileBenchmark {
    private RepackFileBenchmark() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        double gib = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        GgmlType type = GgmlType.byName(args.length > 2 ? args[2] : "q4_K");
        List<Integer> threads = new ArrayList<>();
        for (String t : (args.length > 3 ? args[3] : "1,2," + Parallel.defaultThreads()).split(",")) threads.add(Integer.parseInt(t));

        Path in = dir.resolve("kiln-bench-" + type.ggmlName() + ".gguf");
        Path out = dir.resolve("kiln-bench-repacked.gguf"), back = dir.resolve("kiln-bench-undone.gguf");
        long tensorBytes = type.rowSize(4096) * 4096;
        int n = (int) Math.max(1, Math.round(gib * (1L << 30) / tensorBytes));
        writeSynthetic(in, type, n);
        System.out.printf(Locale.ROOT, "# %s, %d cores, %d tensors of %s 4096x4096, %.2f GB%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), n, type.ggmlName(), n * tensorBytes / 1e9);
        System.out.println("threads\trepack GB/s\tundo GB/s");
        for (int t : threads) {
            double r = time(in, out, t, false), u = time(out, back, t, true);
            System.out.printf(Locale.ROOT, "%d\t%.2f\t%.2f%n", t, n * tensorBytes / r / 1e9, n * tensorBytes / u / 1e9);
        }
        if (Files.mismatch(in, back) != -1) throw new IllegalStateException("undo did not restore the input");
        Files.deleteIfExists(in);
        Files.deleteIfExists(out);
        Files.deleteIfExists(back);
    }

    private static double time(Path in, Path out, int threads, boolean undo) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 2; rep++) {
            try (GgufFile f = GgufFile.open(in)) {
                RepackPlan plan = undo ? RepackPlan.undo(f, List.of(), null) : RepackPlan.repack(f, List.of(), true);
                long t0 = System.nanoTime();
                RepackWriter.write(f, plan, out, threads, new Progress("", 0, 0, false, System.err));
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
        }
        return best;
    }

    private static void writeSynthetic(Path path, GgmlType type, int n) {
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("llama"));
        // no general.file_type: ik writes its guess on repack and --undo removes it again, so undo restores the input
        md.put("general.quantization_version", GgufValue.ofU32(2));
        List<GgufLayout.Entry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) entries.add(new GgufLayout.Entry("blk." + i + ".ffn_up.weight", type, new long[] {4096, 4096}));
        GgufLayout layout = new GgufLayout(md, entries);
        byte[] data = new byte[Math.toIntExact(type.rowSize(4096) * 4096)];
        new Random(1).nextBytes(data);
        try (GgufOutput o = GgufOutput.create(path, layout)) {
            for (int i = 0; i < n; i++) o.write(i, MemorySegment.ofArray(data));
            o.commit();
        }
    }
}
