package kiln.cli;

import kiln.convert.cli.ConvertCommand;
import kiln.quantize.QuantizeCommand;
import kiln.repack.RepackCommand;
import kiln.runtime.cli.PerplexityCommand;
import kiln.runtime.cli.RunCommand;
import kiln.tensor.KilnException;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.validate.ValidateCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code kiln demo}: the whole pipeline on the bundled tiny-deepseek checkpoint — convert (ik layout, bf16),
 * quantize (Q4_K_M), repack (offline, to the interleaved _R4 types), validate (with each runtime's verdict),
 * perplexity and text generation from the repacked file — printing what each step did.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline (convert → quantize → repack → validate → perplexity → generate) on the bundled tiny-deepseek checkpoint.")
public final class DemoCommand implements Callable<Integer>, KilnSubcommand {

    @Option(names = "--model-dir", description = "HuggingFace folder (default: samples/tiny-deepseek of this checkout).")
    Path modelDir;

    @Option(names = {"-o", "--work"}, defaultValue = "kiln-demo", description = "Folder for the files made (default ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        Path hf = modelDir != null ? modelDir : defaultSample();
        Files.createDirectories(work);
        String t = String.valueOf(threads != null ? threads : Runtime.getRuntime().availableProcessors());
        Path bf16 = work.resolve("tiny-deepseek-bf16.gguf");
        Path q4 = work.resolve("tiny-deepseek-Q4_K_M.gguf");
        Path r4 = work.resolve("tiny-deepseek-Q4_K_M-R4.gguf");
        Path prompt = hf.resolve("prompt.txt");
        Path eval = hf.resolve("eval.txt");

        step(1, "convert " + hf + " → " + bf16 + " (ik MLA layout, bf16)");
        check(CliSupport.run(new ConvertCommand(), hf.toString(), "-o", bf16.toString(), "--outtype", "bf16", "--threads", t));
        describe(bf16);

        step(2, "quantize → " + q4 + " (Q4_K_M, ik_llama.cpp's mix for an ik-layout DeepSeek file)");
        check(CliSupport.run(new QuantizeCommand(), bf16.toString(), q4.toString(), "Q4_K_M", t));
        describe(q4);

        step(3, "repack → " + r4 + " (interleaved rows for fast CPU matrix multiplication, made once, offline)");
        check(CliSupport.run(new RepackCommand(), q4.toString(), r4.toString(), "--threads", t));
        describe(r4);

        step(4, "validate (structure, every block, and which runtimes will load it)");
        int v = CliSupport.run(new ValidateCommand(), "--deep", q4.toString(), r4.toString());
        if (v != 0) throw new KilnException("validation failed (exit " + v + ")", 1, null);

        step(5, "perplexity of the repacked file on " + eval.getFileName() + " (16 chunks of 128 tokens)");
        check(CliSupport.run(new PerplexityCommand(), "-m", r4.toString(), "-f", eval.toString(), "-c", "128", "--chunks", "16", "-t", t));

        step(6, "generate 48 tokens from the repacked file (greedy)");
        check(CliSupport.run(new RunCommand(), "-m", r4.toString(), "-p", Files.readString(prompt), "-n", "48", "--temp", "0", "-t", t));
        System.out.println();
        System.out.println("demo: done; files in " + work.toAbsolutePath());
        return 0;
    }

    private static void step(int i, String what) {
        System.out.println();
        System.out.println("== " + i + "/6 " + what);
        System.out.flush();
    }

    private static void check(int code) {
        if (code != 0) throw new KilnException("step failed (exit " + code + ")", code == 2 ? 2 : 1, null);
    }

    private static void describe(Path f) {
        try (GgufFile g = GgufFile.open(f)) {
            Map<String, Integer> byType = new TreeMap<>();
            long params = 0;
            for (TensorInfo ti : g.tensors()) {
                byType.merge(ti.type().ggmlName(), 1, Integer::sum);
                params += ti.elementCount();
            }
            System.out.printf("   %s: %s, %d tensors %s, %.2f bits per weight%n", f.getFileName(),
                    Progress.human(Files.size(f)), g.tensors().size(), byType, 8.0 * g.tensorBytes() / params);
        } catch (java.io.IOException e) {
            throw new KilnException(f + ": " + e.getMessage());
        }
    }

    static Path defaultSample() {
        String home = System.getenv("KILN_HOME");
        Path base = home != null ? Path.of(home) : Path.of(".");
        Path p = base.resolve("samples/tiny-deepseek");
        if (!Files.isDirectory(p)) throw new KilnException(p + ": bundled sample not found; pass --model-dir HF_DIR");
        return p;
    }
}
