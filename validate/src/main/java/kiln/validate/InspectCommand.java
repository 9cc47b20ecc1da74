package kiln.validate;

import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code kiln inspect FILE [--json]}. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF file: header, metadata (long arrays abbreviated), tensors (name, type, shape in ne order,"
                + " bytes, file offset), totals by type, parameter count and bits per weight.")
public final class InspectCommand implements KilnSubcommand, Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "GGUF file (the first file of a split set opens the whole set)")
    Path file;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            if (json) out.println(Json.pretty(InspectReport.json(f)));
            else InspectReport.text(f, out);
        }
        out.flush();
        return 0;
    }
}
