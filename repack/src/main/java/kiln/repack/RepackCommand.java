package kiln.repack;

import kiln.tensor.FileType;
import kiln.tensor.KilnException;
import kiln.tensor.Parallel;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.concurrent.Callable;

/** {@code kiln repack}: ik_llama.cpp's {@code llama-quantize --repack}, and its inverse with {@code --undo}. */
@Command(name = "repack", mixinStandardHelpOptions = true,
        description = {
            "Interleave rows into ik_llama.cpp's _R4/_R8/_R16 types (byte-identical to `llama-quantize --repack`),",
            "or with --undo turn an interleaved file back into base types that mainline llama.cpp and GPUs can load."
        })
public final class RepackCommand implements KilnSubcommand, Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN.gguf", description = "input GGUF (first file of a split set)")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "output GGUF (written atomically)")
    Path output;

    @Option(names = "--undo", description = "unpack every interleaved tensor back to its base type and restore general.file_type")
    boolean undo;

    @Option(names = "--repack-pattern", paramLabel = "REGEX", split = ",",
            description = "only tensors whose name contains a match of one of these regular expressions (repeatable)")
    List<String> patterns = new ArrayList<>();

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--keep-bf16", description = "leave BF16/F16 tensors unchanged, as an ik build without AVX512-BF16 does "
            + "(default: repack them to BF16_R16 like the reference AVX512-BF16 build; F16 is truncated to bf16)")
    boolean keepBf16;

    @Option(names = "--skip-unsupported", description = "leave tensors that ik would repack into a type Kiln cannot "
            + "produce yet (IQ2_BN) unchanged instead of failing")
    boolean skipUnsupported;

    @Option(names = "--file-type", paramLabel = "FTYPE", description = "with --undo: general.file_type to write "
            + "(a name like Q4_K_M or a number) instead of the derived one")
    String fileType;

    @Option(names = "--dry-run", description = "print what would be done, write nothing")
    boolean dryRun;

    @picocli.CommandLine.Mixin
    kiln.tensor.cli.ChecksumsOption checksums = new kiln.tensor.cli.ChecksumsOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (fileType != null && !undo) throw new KilnException("--file-type only applies to --undo");
        List<Pattern> compiled = compile(patterns);
        if (sameFile(input, output)) throw new KilnException(output + ": output must differ from the input");
        try (GgufFile in = GgufFile.open(input)) {
            RepackPlan plan = undo ? RepackPlan.undo(in, compiled, parseFileType(fileType))
                    : RepackPlan.repack(in, compiled, !keepBf16, skipUnsupported);
            if (plan.changedCount() == 0) {
                err.println("kiln repack: nothing to " + (undo ? "unpack" : "repack") + " in " + input + "; no output written");
                return 0;
            }
            if (!undo && in.tensors().stream().anyMatch(t -> t.type() == kiln.tensor.GgmlType.F16)
                    && plan.steps().stream().anyMatch(s -> s.changes() && s.input().type() == kiln.tensor.GgmlType.F16)) {
                err.println("kiln repack: warning: F16 tensors become BF16_R16 by truncation (as ik does); --undo gives BF16, not the F16 original");
            }
            if (dryRun) {
                for (RepackPlan.Step s : plan.steps()) {
                    if (s.changes()) out.println(s.input().name() + ": " + s.input().type().ggmlName() + " -> " + s.outputType().ggmlName());
                }
                out.println(summary(plan));
                return 0;
            }
            int n = threads == null ? Parallel.defaultThreads() : Math.max(1, threads);
            Progress progress = new Progress(undo ? "unpacking" : "repacking", in.tensors().size(), in.tensorBytes());
            long t0 = System.nanoTime();
            long bytes = RepackWriter.write(in, plan, output, n, progress);
            double secs = (System.nanoTime() - t0) / 1e9;
            out.println(summary(plan) + String.format(Locale.ROOT, "; wrote %s in %.2f s (%.2f GB/s)", output, secs, bytes / secs / 1e9));
            checksums.afterWrite(output, n);
            return 0;
        }
    }

    private String summary(RepackPlan plan) {
        Map<String, Integer> changes = new TreeMap<>();
        for (RepackPlan.Step s : plan.steps()) {
            if (s.changes()) changes.merge(s.input().type().ggmlName() + "->" + s.outputType().ggmlName(), 1, Integer::sum);
        }
        return String.format(Locale.ROOT, "%s %d of %d tensors %s; general.file_type %s -> %s",
                undo ? "unpacked" : "repacked", plan.changedCount(), plan.steps().size(), changes,
                ftypeName(plan.inputFileType()), ftypeName(plan.outputFileType()));
    }

    private static String ftypeName(long v) {
        String n = FileType.ikName(v);
        return v + (n == null ? "" : " (" + n + ")");
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static List<Pattern> compile(List<String> patterns) {
        List<Pattern> out = new ArrayList<>();
        for (String p : patterns) {
            try {
                out.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new KilnException("--repack-pattern '" + p + "' is not a valid regular expression: " + e.getDescription());
            }
        }
        return out;
    }

    static Long parseFileType(String s) {
        if (s == null) return null;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            int v = FileType.ikValue(s.trim());
            if (v < 0) throw new KilnException("--file-type '" + s + "' is not a known file type (e.g. Q4_K_M, Q8_0 or a number)");
            return (long) v;
        }
    }
}
