package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code kiln quantize IN.gguf [OUT.gguf] TYPE [nthreads]}, llama-quantize's command line. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        customSynopsis = "kiln quantize [OPTIONS] IN.gguf [OUT.gguf] TYPE [nthreads]",
        description = "Quantize a GGUF model to an ftype mix (Q4_K_M, IQ4_XS, Q8_0, ...) byte for byte as llama-quantize of "
                + "mainline llama.cpp or of ik_llama.cpp (--flavor) would write it. Without OUT.gguf the output is "
                + "ggml-model-TYPE.gguf next to the input.")
public final class QuantizeCommand implements Callable<Integer>, KilnSubcommand {

    @Parameters(arity = "2..4", paramLabel = "ARG", hideParamSyntax = true, description = "IN.gguf [OUT.gguf] TYPE [nthreads]")
    List<String> positional = new ArrayList<>();

    @Option(names = "--flavor", paramLabel = "mainline|ik",
            description = "whose rules and bytes to reproduce (default: ik for an ik-layout DeepSeek file, else mainline)")
    String flavor;

    @Option(names = "--pure", description = "no mixes: every quantizable tensor gets the type's default")
    boolean pure;

    @Option(names = "--output-tensor-type", paramLabel = "TYPE", description = "type of output.weight (ggml type name, e.g. q8_0)")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "TYPE", description = "type of token_embd.weight")
    String tokenEmbeddingType;

    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE", description = "type for tensors whose name matches REGEX (repeatable)")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--tensor-type-file", paramLabel = "FILE", description = "REGEX=TYPE rules, whitespace-separated, read from FILE")
    Path tensorTypeFile;

    @Option(names = "--custom-q", paramLabel = "REGEX=TYPE,...", description = "ik's form of --tensor-type, comma-separated (repeatable)")
    List<String> customQ = new ArrayList<>();

    @Option(names = "--leave-output-tensor", description = "do not quantize output.weight")
    boolean leaveOutputTensor;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "importance matrix (legacy .dat or GGUF imatrix)")
    Path imatrix;

    @Option(names = "--include-weights", paramLabel = "NAME", description = "use imatrix entries whose name contains NAME only (repeatable)")
    List<String> includeWeights = new ArrayList<>();

    @Option(names = "--exclude-weights", paramLabel = "NAME", description = "ignore imatrix entries whose name contains NAME (repeatable)")
    List<String> excludeWeights = new ArrayList<>();

    @Option(names = "--hide-imatrix", description = "record 'top_secret' instead of the imatrix file and dataset (ik)")
    boolean hideImatrix;

    @Option(names = "--override-kv", paramLabel = "KEY=TYPE:VALUE", description = "set a metadata key in the output (TYPE int, float, bool or str; repeatable)")
    List<String> overrideKv = new ArrayList<>();

    @Option(names = "--allow-requantize", description = "allow re-quantizing tensors that are already quantized")
    boolean allowRequantize;

    @picocli.CommandLine.Mixin
    IkArgs ikArgs = new IkArgs();

    @picocli.CommandLine.Mixin
    kiln.tensor.cli.ChecksumsOption checksums = new kiln.tensor.cli.ChecksumsOption();

    @Option(names = "--dry-run", description = "print the type of every tensor and the sizes, write nothing")
    boolean dryRun;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores; also the trailing nthreads argument)")
    Integer threads;

    /** For tests: the name recorded as quantize.imatrix.file (default: the --imatrix argument as given). */
    String imatrixLabel;

    PrintStream out = System.out;

    /** What one run will do: where it writes, with how many threads, and the plan. */
    record Setup(KeepSplit files, int threads, QuantizePlan plan) {
        Path output() {
            return files.paths().getFirst();
        }
    }

    @Override
    public Integer call() {
        Path in = Path.of(positional.get(0));
        if (!Files.isRegularFile(in)) throw new KilnException(in + ": no such input file");
        try (GgufFile file = GgufFile.open(in)) {
            Setup setup = setup(file, in);
            QuantizePlan plan = setup.plan();
            if (dryRun) {
                printPlan(plan);
                return 0;
            }
            ikArgs.refuseUnreproducedAtWriteTime();
            Ftype ftype = plan.options().ftype();
            Path output = setup.output();
            Progress progress = new Progress("quantize " + ftype.name(), plan.items().size(), file.tensorBytes());
            if (plan.options().flavor() == Flavor.IK) createParentDirectories(setup.files().paths());
            Quantizer.run(file, plan, setup.files(), progress);
            out.printf(Locale.ROOT, "%s: %s -> %s (%s, %s flavour, %d tensors, %s)%n", ftype.name(), in, output,
                    Progress.human(plan.layout().fileSize()), plan.options().flavor().name().toLowerCase(Locale.ROOT),
                    plan.items().size(), counts(plan));
            checksums.afterWrite(output, setup.threads());
            return 0;
        }
    }

    /** ik's ensure_output_directory: the output's folders are created. */
    private static void createParentDirectories(List<Path> outputs) {
        for (Path p : outputs) {
            Path dir = p.toAbsolutePath().getParent();
            try {
                Files.createDirectories(dir);
            } catch (java.io.IOException e) {
                throw new KilnException(dir + ": cannot create the output folder: " + e.getMessage());
            }
        }
    }

    /** Parses the arguments against the open input and builds the plan (no byte is written). */
    Setup setup(GgufFile file, Path in) {
        {
            Flavor fl = flavor != null ? parseFlavor(flavor) : defaultFlavor(file);
            ikArgs.refuseUnsupported(fl);
            Ftype ftype;
            Path output;
            int next;
            Ftype asType = positional.size() >= 2 ? Ftype.find(positional.get(1), fl) : null;
            if (asType != null && positional.size() <= 3 && !looksLikePath(positional.get(1))) {
                ftype = asType;
                Path dir = in.toAbsolutePath().getParent();
                output = dir.resolve("ggml-model-" + ftype.name() + ".gguf");
                next = 2;
            } else {
                if (positional.size() < 3) throw new KilnException("missing quantization type (usage: kiln quantize IN.gguf [OUT.gguf] TYPE [nthreads])");
                output = Path.of(positional.get(1));
                ftype = Ftype.parse(positional.get(2), fl);
                next = 3;
            }
            int nthreads = threads != null ? threads : kiln.tensor.Parallel.defaultThreads();
            if (positional.size() > next) {
                try {
                    nthreads = Integer.parseInt(positional.get(next));
                } catch (NumberFormatException e) {
                    throw new KilnException("invalid nthread '" + positional.get(next) + "'");
                }
                if (positional.size() > next + 1) throw new KilnException("too many arguments: " + positional.subList(next + 1, positional.size()));
            }
            if (nthreads <= 0) nthreads = kiln.tensor.Parallel.defaultThreads();
            if (output.toAbsolutePath().normalize().equals(in.toAbsolutePath().normalize())) {
                throw new KilnException(output + ": the output would overwrite the input");
            }
            List<TensorTypeRule> rules = new ArrayList<>();
            for (String s : tensorTypes) rules.add(TensorTypeRule.parse(s, fl == Flavor.MAINLINE));
            if (tensorTypeFile != null) {
                String text;
                try {
                    text = Files.readString(tensorTypeFile);
                } catch (java.io.IOException e) {
                    throw new KilnException(tensorTypeFile + ": cannot read: " + e.getMessage());
                }
                for (String s : text.trim().split("\\s+")) if (!s.isEmpty()) rules.add(TensorTypeRule.parse(s, fl == Flavor.MAINLINE));
            }
            for (String s : customQ) rules.addAll(TensorTypeRule.parseList(s));
            QuantizeOptions opts = new QuantizeOptions(fl, ftype, pure, type(outputTensorType), type(tokenEmbeddingType), rules,
                    leaveOutputTensor, allowRequantize, nthreads, ikArgs.options());
            ImatrixInput im = null;
            if (imatrix != null) {
                im = ImatrixInput.load(imatrix, imatrixLabel != null ? imatrixLabel : imatrix.toString(), includeWeights, excludeWeights, fl);
            } else if (!includeWeights.isEmpty() || !excludeWeights.isEmpty()) {
                throw new KilnException("--include-weights/--exclude-weights need --imatrix FILE");
            }
            List<KvOverride> overrides = new ArrayList<>();
            for (String o : overrideKv) overrides.add(KvOverride.parse(o));
            QuantizePlan plan = QuantizePlan.build(file.metadata(), file.tensors(), opts, im, hideImatrix, overrides);
            if (im != null) reportMissingWeights(plan);
            KeepSplit files = KeepSplit.single(plan, output);
            if (ikArgs.keepSplit) {
                String prefix = next == 2 ? output.toString().substring(0, output.toString().length() - 5) : KeepSplit.prefix(positional.get(1));
                files = KeepSplit.of(file, plan, prefix);
                for (Path p : files.paths()) {
                    for (GgufFile.Shard s : file.shards()) {
                        if (p.toAbsolutePath().normalize().equals(s.path().toAbsolutePath().normalize())) {
                            throw new KilnException(p + ": the output would overwrite the input");
                        }
                    }
                }
            }
            return new Setup(files, nthreads, plan);
        }
    }

    /** llama-quantize logs "did not find weights for X" per tensor; Kiln prints one line listing them. */
    private void reportMissingWeights(QuantizePlan plan) {
        List<String> missing = new ArrayList<>();
        for (QuantizePlan.Item it : plan.items()) if (it.converts() && it.weights() == null) missing.add(it.input().name());
        if (missing.isEmpty()) return;
        String list = String.join(", ", missing.subList(0, Math.min(6, missing.size()))) + (missing.size() > 6 ? ", ..." : "");
        out.printf(Locale.ROOT, "note: %d tensor(s) have no imatrix entry and are quantized without importance weights: %s%n", missing.size(), list);
    }

    private static boolean looksLikePath(String s) {
        return s.endsWith(".gguf") || s.contains("/") || s.contains("\\");
    }

    static GgmlType type(String s) {
        return s == null ? null : TensorTypeRule.parseType(s);
    }

    static Flavor parseFlavor(String s) {
        Flavor f = Flavor.parse(s);
        if (f == null) throw new KilnException("unknown flavor '" + s + "' (expected mainline or ik)");
        return f;
    }

    /** The file's own tool ({@link Flavor#of}): an ik-layout DeepSeek file or one with ik-only types gets ik's rules and bytes. */
    public static Flavor defaultFlavor(GgufFile file) {
        return defaultFlavor(file.metadata(), file.tensors());
    }

    /** {@link #defaultFlavor(GgufFile)} from a file's metadata and tensor infos (one-pass conversion has no file yet). */
    public static Flavor defaultFlavor(kiln.tensor.gguf.GgufMetadata metadata, List<TensorInfo> tensors) {
        return Flavor.of(metadata, tensors);
    }

    private void printPlan(QuantizePlan plan) {
        int i = 0;
        for (QuantizePlan.Item it : plan.items()) {
            out.printf(Locale.ROOT, "[%4d/%4d] %-36s %-16s %6s -> %-6s%s%n", ++i, plan.items().size(), it.input().name(),
                    it.input().shapeString(), it.input().type().ggmlName(), it.target().ggmlName(), it.weights() != null ? " (imatrix)" : "");
        }
        out.printf(Locale.ROOT, "output: %s, %s%n", Progress.human(plan.layout().fileSize()), counts(plan));
    }

    private static String counts(QuantizePlan plan) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<GgmlType, Integer> e : plan.typeCounts().entrySet()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(e.getKey().ggmlName()).append(':').append(e.getValue());
        }
        return sb.toString();
    }
}
