package kiln.validate;

import kiln.tensor.cli.CliSupport;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs a command exactly as the {@code kiln} root command would (Kiln's handlers), capturing stdout and stderr. */
final class Cli {
    private Cli() {}

    record Result(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Result run(Object command, String... args) {
        CommandLine cl = CliSupport.configure(new CommandLine(command));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Result(rc, out.toString(), err.toString());
    }

    static Result inspect(String... args) {
        return run(new InspectCommand(), args);
    }

    static Result validate(String... args) {
        return run(new ValidateCommand(), args);
    }
}
