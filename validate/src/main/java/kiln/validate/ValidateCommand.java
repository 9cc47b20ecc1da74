package kiln.validate;

import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln validate FILE... [--deep] [--json]}. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check GGUF files: structure (as strict as the reference reader), optionally every block (--deep),"
                + " and whether llama.cpp, ik_llama.cpp and Kiln's runtime will load them (deepseek2 and llama), and why not.",
                "Exit code: 0 all valid, 1 some file invalid (with --strict: or loaded by no runtime), 2 some file unreadable or bad usage."})
public final class ValidateCommand implements KilnSubcommand, Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "GGUF files (the first file of a split set checks the whole set)")
    List<Path> files;

    @Option(names = "--deep", description = "read every block: NaN/Inf in values or block scales (errors), all-zero tensors (warnings)")
    boolean deep;

    @Option(names = "--strict", description = "a file that neither llama.cpp, ik_llama.cpp nor Kiln will load is invalid (exit 1)")
    boolean strict;

    @Option(names = "--verify", description = "compare each tensor's data and each header with FILE.sha256 (written by --checksums): "
            + "every one that differs is named (exit 1); no FILE.sha256 is exit 2")
    boolean verify;

    @Option(names = "--json", description = "print one JSON object per file (one per line)")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int exit = 0;
        if (verify) for (Path f : files) if (java.nio.file.Files.isRegularFile(f)) kiln.tensor.io.Checksums.requireSidecar(f);
        for (Path f : files) {
            FileValidation v = FileValidation.run(f, deep);
            if (verify) v.verify(kiln.tensor.Parallel.defaultThreads());
            if (strict) v.strict();
            exit = Math.max(exit, v.status);
            if (json) out.println(Json.compact(v.json()));
            else v.lines().forEach(out::println);
            out.flush();
        }
        return exit;
    }
}
