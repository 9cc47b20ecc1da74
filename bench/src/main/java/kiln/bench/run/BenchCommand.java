package kiln.bench.run;

import kiln.bench.matrix.MatrixRunner;
import kiln.bench.matrix.MatrixSpec;
import kiln.bench.roofline.ActiveWeights;
import kiln.bench.roofline.MemoryBandwidth;
import kiln.cuda.cli.GpuOptions;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.FileType;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.gguf.GgufFile;
import kiln.runtime.cli.LlamaCppOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln bench}: llama-bench's tests (pp, tg, pp+tg, at a depth) over lists of models and parameters, mean ±
 * standard deviation of t/s over repetitions, llama-bench's output fields, and a memory-bandwidth roofline for
 * generation. With {@code --matrix}, a grid of models × configurations run one process each, resumable.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark prompt processing and generation like llama-bench; --matrix runs a resumable grid of configurations.")
public final class BenchCommand implements Callable<Integer>, KilnSubcommand {

    @Option(names = {"-m", "--model"}, split = ",", description = "GGUF file(s).") List<Path> models = new ArrayList<>();
    @Option(names = {"-p", "--n-prompt"}, split = ",", description = "Prompt sizes (default 512).") List<Integer> prompts;
    @Option(names = {"-n", "--n-gen"}, split = ",", description = "Generation sizes (default 128).") List<Integer> gens;
    @Option(names = {"-pg"}, description = "pp,tg pairs: a prompt then generation, counting both (label ppP+tgN).") List<String> pgs = new ArrayList<>();
    @Option(names = {"-d", "--n-depth"}, split = ",", description = "Context depths to prefill before each test (default 0).") List<Integer> depths;
    @Option(names = {"-t", "--threads"}, split = ",", description = "Thread counts (default: all cores).") List<Integer> threads;
    @Option(names = {"-mla", "--mla-use"}, split = ",", description = "MLA modes for DeepSeek models (default 3).") List<Integer> mlas;
    @Option(names = {"-ctk", "--cache-type-k"}, split = ",", description = "K cache types: f16, q8_0 (default f16).") List<String> ctks;
    @Option(names = {"-ctv", "--cache-type-v"}, split = ",", description = "V cache types (default f16).") List<String> ctvs;
    @Option(names = {"-rtr", "--run-time-repack"}, split = ",", description = "Run-time repack (0/1).") List<Integer> rtrs;
    @Option(names = {"-b", "--batch-size"}, defaultValue = "2048", description = "Logical batch size: prompt tokens handed to the model at once (default ${DEFAULT-VALUE}).") int nBatch;
    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", description = "Physical (micro-)batch size (default ${DEFAULT-VALUE}).") int nUbatch;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Timed repetitions of each test (default ${DEFAULT-VALUE}).") int reps;
    @Mixin LlamaCppOptions llamaCpp = new LlamaCppOptions();
    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md, csv, json or jsonl.") String output;
    @Option(names = "--bandwidth", description = "Memory bandwidth in GB/s for the roofline (default: measured once with a triad).") Double bandwidth;
    @Option(names = "--no-roofline", description = "Do not measure bandwidth or report the roofline.") boolean noRoofline;
    @Option(names = "--numerics", defaultValue = "fast", description = "fast (default), or a reference arithmetic: auto, mainline, ik.") String numerics = "fast";
    @Option(names = "--matrix", description = "JSON grid of models × configurations (see README).") Path matrix;
    @Option(names = "--results", description = "With --matrix: JSONL results file (appended; finished entries are skipped on rerun).") Path results;

    @Override
    public Integer call() {
        llamaCpp.check();
        if (matrix != null) return runMatrix();
        llamaCpp.noteIgnored(System.err, "bench");
        if (models.isEmpty()) throw new KilnException("no model given (-m FILE)");
        if (!List.of("md", "csv", "json", "jsonl").contains(output)) throw new KilnException("unknown output format '" + output + "' (md, csv, json, jsonl)");
        for (Path m : models) if (!Files.isRegularFile(m)) throw new KilnException(m + ": no such file");
        if (reps < 1) throw new KilnException("-r must be at least 1");
        List<int[]> tests = tests();
        double bw = noRoofline ? 0 : bandwidth != null ? bandwidth : MemoryBandwidth.machineGbs();
        PrintStream out = System.out;
        List<BenchResult> all = new ArrayList<>();
        boolean headerDone = false;
        for (Path m : models) {
            for (BenchParams p : params()) {
                List<BenchResult> rs = runModel(m, p, tests, bw);
                for (BenchResult r : rs) {
                    if (output.equals("jsonl")) out.println(BenchFormats.jsonl(r));
                    if (output.equals("csv")) {
                        if (!headerDone) out.println(BenchFormats.csvHeader(r));
                        headerDone = true;
                        out.println(BenchFormats.csv(r));
                    }
                    out.flush();
                }
                all.addAll(rs);
            }
        }
        if (output.equals("md")) out.print(BenchFormats.markdown(all));
        if (output.equals("json")) out.print(BenchFormats.jsonArray(all));
        return 0;
    }

    private List<int[]> tests() {
        List<int[]> t = new ArrayList<>();
        List<Integer> ds = depths == null ? List.of(0) : depths;
        for (int d : ds) {
            for (int p : prompts == null ? List.of(512) : prompts) if (p > 0) t.add(new int[]{p, 0, d});
            for (int n : gens == null ? List.of(128) : gens) if (n > 0) t.add(new int[]{0, n, d});
            for (String pg : pgs) {
                String[] a = pg.split(",");
                if (a.length != 2) throw new KilnException("-pg takes pp,tg (e.g. -pg 512,128), got '" + pg + "'");
                t.add(new int[]{Integer.parseInt(a[0].trim()), Integer.parseInt(a[1].trim()), d});
            }
        }
        if (t.isEmpty()) throw new KilnException("nothing to run: all of -p, -n and -pg are empty or 0");
        return t;
    }

    private List<BenchParams> params() {
        List<BenchParams> ps = new ArrayList<>();
        for (int t : threads == null ? List.of(Runtime.getRuntime().availableProcessors()) : threads)
            for (int mla : mlas == null ? List.of(3) : mlas)
                for (String k : ctks == null ? List.of("f16") : ctks)
                    for (String v : ctvs == null ? List.of("f16") : ctvs)
                        for (boolean fa : llamaCpp.flashAttention())
                            for (int rtr : rtrs == null ? List.of(0) : rtrs)
                                for (int ngl : gpuLayers())
                                    for (var ot : llamaCpp.gpu.overrideConfigurations())
                                        ps.add(new BenchParams(t, nBatch, nUbatch, mla, k, v, fa, rtr != 0, ngl, GpuOptions.record(ot)));
        return ps;
    }

    /** The -ngl list (llama-bench's default is 999; Kiln's is 0: the CPU). */
    private List<Integer> gpuLayers() {
        List<Integer> l = llamaCpp.gpu.gpuLayersList();
        return l.isEmpty() ? List.of(0) : l;
    }

    private List<BenchResult> runModel(Path m, BenchParams p, List<int[]> tests, double bw) {
        int needCtx = 16;
        for (int[] t : tests) needCtx = Math.max(needCtx, t[0] + t[1] + t[2]);
        ModelOptions opt = ModelOptions.defaults().withCtx(needCtx).withThreads(p.threads()).withMla(p.mla())
                .withCache(p.typeK(), p.typeV()).withUbatch(p.nUbatch()).withNumerics(numerics).withAttentionMaxBatch(llamaCpp.attentionMaxBatch());
        opt = opt.withRunTimeRepack(p.repack());
        String type;
        long size, params, active;
        try (GgufFile f = GgufFile.open(m)) {
            size = f.tensorBytes();
            params = f.tensors().stream().mapToLong(t -> t.elementCount()).sum();
            active = ActiveWeights.bytesPerToken(f);
            long ftype = f.metadata().getLong("general.file_type", 0);
            String ft = FileType.mainlineName(ftype);
            if (ft == null) ft = FileType.ikName(ftype); // ik-only file types (IQ4_K, Q4_K_R4, ...)
            type = f.metadata().architecture() + " " + BenchFormats.params(params).replace(" ", "") + " "
                    + (ft == null ? "?" : ft.replace("MOSTLY_", "").replace("ALL_", ""));
        }
        List<BenchResult> rs = new ArrayList<>();
        try (Model model = ModelLoader.load(m, opt)) {
            ModelRunner run = new ModelRunner(model, p.nBatch(), 1234);
            for (int[] t : tests) {
                // warm-up as llama-bench's -w 1: the test's prompt once and one generated token, untimed
                if (t[0] > 0) run.prompt(run.randomTokens(t[0], true), 0);
                if (t[1] > 0) run.generate(1, t[0]);
                List<Long> samples = new ArrayList<>();
                for (int r = 0; r < reps; r++) {
                    int pos = 0;
                    if (t[2] > 0) {
                        run.prompt(run.randomTokens(t[2], true), 0);
                        pos = t[2];
                    }
                    long ns = 0;
                    if (t[0] > 0) ns += run.prompt(run.randomTokens(t[0], pos == 0), pos);
                    if (t[1] > 0) ns += run.generate(t[1], pos + t[0]);
                    samples.add(ns);
                }
                rs.add(new BenchResult(m.toString(), type, size, params, p, t[0], t[1], t[2],
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), samples, bw, active));
            }
        }
        return rs;
    }

    private int runMatrix() {
        if (results == null) throw new KilnException("--matrix needs --results OUT.jsonl");
        MatrixSpec spec = MatrixSpec.read(matrix);
        List<String> self = new ArrayList<>();
        self.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) self.add(a);
        }
        self.add("-cp");
        self.add(System.getProperty("java.class.path"));
        self.add("kiln.cli.Kiln");
        self.add("bench");
        var rows = new MatrixRunner(self, System.err).run(spec, results);
        System.out.print(MatrixRunner.markdown(rows));
        long failed = rows.stream().filter(r -> r.path("status").asText().startsWith("FAIL")).count();
        System.err.printf(Locale.ROOT, "matrix: %d rows in %s (%d failed configurations)%n", rows.size(), results, failed);
        return 0;
    }
}
