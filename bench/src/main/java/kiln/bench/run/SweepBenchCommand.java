package kiln.bench.run;

import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.runtime.cli.LlamaCppOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln sweep-bench}: ik_llama.cpp's sweep-bench. At each depth n_kv = 0, ub, 2·ub, … below -c: generate
 * tg tokens one at a time (timed), rewind to n_kv, then decode a prompt batch of ub random tokens (timed), which
 * stays in the cache as the next row's context. tg = -n when positive, else ub/4. Output: ik's markdown table or
 * its JSONL rows (same keys, same order).
 */
@Command(name = "sweep-bench", mixinStandardHelpOptions = true,
        description = "Prompt and generation speed as the context fills, like ik_llama.cpp's llama-sweep-bench.")
public final class SweepBenchCommand implements Callable<Integer>, KilnSubcommand {

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF file (first file of a split set).") Path model;
    @Option(names = {"-c", "--ctx-size"}, defaultValue = "2048", description = "Context to fill: rows at depths 0, ub, 2·ub, … below it (default ${DEFAULT-VALUE}).") int nCtx;
    @Option(names = {"-b", "--batch-size"}, defaultValue = "2048", description = "Logical batch size (default ${DEFAULT-VALUE}).") int nBatch;
    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", description = "Micro-batch size: the prompt tokens decoded per row (default ${DEFAULT-VALUE}).") int nUbatch;
    @Option(names = {"-n", "--n-predict"}, defaultValue = "-1", description = "Tokens generated per row (default ub/4).") int nPredict;
    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).") Integer threads;
    @Option(names = {"-mla", "--mla-use"}, defaultValue = "3", description = "MLA mode for DeepSeek models: 0, 1, 2 or 3 (default ${DEFAULT-VALUE}).") int mla;
    @Option(names = {"-ctk", "--cache-type-k"}, defaultValue = "f16", description = "K cache type: f16, q8_0, f32 (default ${DEFAULT-VALUE}).") String ctk;
    @Option(names = {"-ctv", "--cache-type-v"}, defaultValue = "f16", description = "V cache type: f16, q8_0, f32 (default ${DEFAULT-VALUE}).") String ctv;
    @Mixin LlamaCppOptions llamaCpp = new LlamaCppOptions();
    @Option(names = {"-nrep", "--n-repetitions"}, defaultValue = "1", description = "Repetitions of the first row.") int nrep;
    @Option(names = "--sweep-stride", defaultValue = "1", description = "Measure every N-th row.") int stride;
    @Option(names = {"-o", "--output-format"}, defaultValue = "md", description = "md or jsonl.") String format;
    @Option(names = "--numerics", defaultValue = "fast", description = "fast (default), or a reference arithmetic: auto, mainline, ik.") String numerics;

    @Override
    public Integer call() {
        llamaCpp.check();
        List<Boolean> fas = llamaCpp.flashAttention();
        if (fas.size() != 1) throw new KilnException("-fa takes one value in sweep-bench");
        int fa = fas.getFirst() ? 1 : 0;
        int ngl = llamaCpp.gpu.gpuLayers();
        llamaCpp.gpu.overrides(); // one configuration here: refuses bench's ';' lists
        llamaCpp.noteIgnored(System.err, "sweep-bench");
        if (!format.equals("md") && !format.equals("jsonl")) throw new KilnException("unknown output format '" + format + "' (md, jsonl)");
        if (!Files.isRegularFile(model)) throw new KilnException(model + ": no such file");
        if (nUbatch < 1 || nCtx < nUbatch) throw new KilnException("-c (" + nCtx + ") must be at least -ub (" + nUbatch + ")");
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        int pp = nUbatch;
        int tg = nPredict > 0 ? nPredict : Math.max(1, nUbatch / 4);
        ModelOptions opt = ModelOptions.defaults().withCtx(nCtx).withThreads(t).withMla(mla).withCache(ctk, ctv).withUbatch(nUbatch).withNumerics(numerics)
                .withAttentionMaxBatch(llamaCpp.attentionMaxBatch());
        PrintStream out = System.out;
        try (Model m = ModelLoader.load(model, opt)) {
            System.err.println("kiln sweep-bench: " + m.kvCacheSize()); // stderr, as ik's load lines: stdout holds the table
            ModelRunner run = new ModelRunner(m, nBatch, 1);
            run.prompt(run.randomTokens(1, true), 0); // warm-up: one BOS decode
            if (format.equals("md")) {
                out.printf(Locale.ROOT, "%nmain: n_kv_max = %d, n_batch = %d, n_ubatch = %d, flash_attn = %d, n_gpu_layers = %d, n_threads = %d, n_threads_batch = %d%n%n",
                        nCtx, nBatch, nUbatch, fa, ngl, t, t);
                out.printf(Locale.ROOT, "|%6s | %6s | %6s | %8s | %8s | %8s | %8s |%n", "PP", "TG", "N_KV", "T_PP s", "S_PP t/s", "T_TG s", "S_TG t/s");
                out.println("|-------|--------|--------|----------|----------|----------|----------|");
            }
            int row = 0;
            for (int nKv = 0; nKv + Math.max(pp, tg) <= nCtx; nKv += pp, row++) {
                boolean measure = row % stride == 0;
                int reps = row == 0 ? Math.max(1, nrep) : 1;
                double tTg = 0, tPp = 0;
                for (int r = 0; r < reps; r++) {
                    tTg += measure ? run.generate(tg, nKv) / 1e9 : 0;
                    tPp += run.prompt(run.randomTokens(pp, false), nKv) / 1e9;
                }
                if (!measure) continue;
                tTg /= reps;
                tPp /= reps;
                if (format.equals("md")) {
                    out.printf(Locale.ROOT, "|%6d | %6d | %6d | %8.3f | %8.2f | %8.3f | %8.2f |%n", pp, tg, nKv, tPp, pp / tPp, tTg, tg / tTg);
                } else {
                    out.printf(Locale.ROOT, "{\"n_kv_max\": %d, \"n_batch\": %d, \"n_ubatch\": %d, \"flash_attn\": %d, \"n_gpu_layers\": %d, \"n_threads\": %d, "
                                    + "\"n_threads_batch\": %d, \"pp\": %d, \"tg\": %d, \"n_kv\": %d, \"t_pp\": %f, \"speed_pp\": %f, \"t_tg\": %f, \"speed_tg\": %f }%n",
                            nCtx, nBatch, nUbatch, fa, ngl, t, t, pp, tg, nKv, tPp, pp / tPp, tTg, tg / tTg);
                }
                out.flush();
            }
        }
        return 0;
    }
}
