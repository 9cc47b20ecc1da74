package kiln.tensor.cli;

import kiln.tensor.KilnException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.List;

/**
 * The error conventions of every Kiln command (DESIGN.md §4): exit 0 ok, 1 failure of the work, 2 bad usage or
 * bad input, always as one line on stderr and never a stack trace for a user mistake. The root command and
 * tests use the same handlers, so a test of a module's command sees exactly what a user sees.
 */
public final class CliSupport {
    private CliSupport() {}

    /**
     * Installs Kiln's exception handlers on a command line (and the subcommands added before), and turns off the
     * clustering of short options: llama.cpp's multi-letter flags ({@code -ngl}, {@code -fmoe}, {@code -cnv}) must be
     * read as one name, never as {@code -n gl}.
     */
    public static CommandLine configure(CommandLine cl) {
        cl.setPosixClusteredShortOptionsAllowed(false);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            KilnException ke = findKilnException(ex);
            String name = displayName(commandLine);
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
            String name = displayName(c);
            String unknownCommand = unknownSubcommand(ex);
            c.getErr().println(unknownCommand != null
                    ? name + ": '" + unknownCommand + "' is not a command; the commands are: " + String.join(", ", c.getSubcommands().keySet())
                    + " (see " + name + " --help)"
                    : name + ": " + ex.getMessage() + " (see " + name + " --help)");
            c.getErr().flush();
            return 2;
        });
        return cl;
    }

    /** "kiln" for the root command, "kiln run" for a subcommand (never "kiln kiln"). */
    private static String displayName(CommandLine c) {
        return c.getParent() == null && c.getCommandName().equals("kiln") ? "kiln" : "kiln " + c.getCommandName();
    }

    /** The word a user gave where a command with subcommands expected one of them, or null. */
    private static String unknownSubcommand(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || ex.getCommandLine().getSubcommands().isEmpty()) return null;
        List<String> unmatched = u.getUnmatched();
        if (unmatched.isEmpty() || unmatched.getFirst().startsWith("-")) return null;
        return unmatched.getFirst();
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
