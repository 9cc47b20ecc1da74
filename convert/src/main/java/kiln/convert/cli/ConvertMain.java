package kiln.convert.cli;

import kiln.tensor.cli.CliSupport;

/** Runs {@code kiln convert} on its own (used to test the converter in a JVM with a small heap). */
public final class ConvertMain {
    private ConvertMain() {}

    public static void main(String[] args) {
        System.exit(CliSupport.run(new ConvertCommand(), args));
    }
}
