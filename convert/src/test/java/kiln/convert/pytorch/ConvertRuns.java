package kiln.convert.pytorch;

import kiln.convert.cli.ConvertCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs {@code kiln convert} as a user would, and compares its output with a reference file, for tests. */
public final class ConvertRuns {
    private ConvertRuns() {}

    /** Runs {@code kiln convert} and returns its exit code. */
    public static int convert(Path input, Path out, String... opts) {
        String[] args = new String[opts.length + 4];
        args[0] = input.toString();
        args[1] = "-o";
        args[2] = out.toString();
        args[3] = "--no-progress";
        System.arraycopy(opts, 0, args, 4, opts.length);
        return CliSupport.run(new ConvertCommand(), args);
    }

    /** Byte-for-byte equality, with the tensor order compared first for a readable failure. */
    public static void assertSameFile(Path expected, Path actual) {
        try (GgufFile e = GgufFile.open(expected); GgufFile a = GgufFile.open(actual)) {
            assertEquals(e.tensors().stream().map(TensorInfo::name).toList(), a.tensors().stream().map(TensorInfo::name).toList(), "tensor order");
        }
        try {
            assertEquals(-1L, Files.mismatch(expected, actual), "first differing byte of " + actual + " vs " + expected);
        } catch (java.io.IOException ex) {
            throw new AssertionError(ex);
        }
    }

}
