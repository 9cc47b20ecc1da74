package kiln.tensor.cli;

import kiln.tensor.KilnException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * The error conventions of every Kiln command (DESIGN.md §4): exit 0 ok, 1 failure of the work, 2 bad usage or
 * bad input, always as one line on stderr and never a stack trace for a user mistake. The root command and
 * tests use the same handlers, so a test of a module's command sees exactly what a user sees.
 */
public final class CliSupport {
    private CliSupport() {}

    /** Installs Kiln's exception handlers on a command line (and its subcommands). */
    public static CommandLine configure(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            KilnException ke = findKilnException(ex);
            String name = "kiln " + commandLine.getCommandName();
            if (ke != null) {
                err.println(name + ": " + ke.getMessage());
                err.flush();
                return ke.exitCode();
            }
            if (findOom(ex)) {
                err.println(name + ": out of memory (give the JVM more with KILN_JAVA_OPTS=-Xmx…)");
                err.flush();
                return 1;
            }
            err.println(name + ": internal error: " + ex);
            if (System.getenv("KILN_DEBUG") != null) ex.printStackTrace(err);
            else err.println("(set KILN_DEBUG=1 for the stack trace)");
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("kiln " + c.getCommandName() + ": " + ex.getMessage() + " (see kiln " + c.getCommandName() + " --help)");
            c.getErr().flush();
            return 2;
        });
        return cl;
    }

    /** Runs a command object with Kiln's conventions and returns its exit code (for tests and the root command). */
    public static int run(Object command, String... args) {
        return configure(new CommandLine(command)).execute(args);
    }

    private static KilnException findKilnException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KilnException k) return k;
        }
        return null;
    }

    private static boolean findOom(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof OutOfMemoryError) return true;
        }
        return false;
    }
}
