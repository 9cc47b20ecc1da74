package kiln.quantize;

import kiln.tensor.cli.CliSupport;

/** Runs {@code kiln quantize} alone in a fresh JVM (used by the disk-full test). */
public final class QuantizeMain {
    private QuantizeMain() {}

    public static void main(String[] args) {
        System.exit(CliSupport.run(new QuantizeCommand(), args));
    }
}
