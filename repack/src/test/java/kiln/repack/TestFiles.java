package kiln.repack;

import static kiln.tensor.testing.FileHashes.sha256;
import kiln.repack.RepackCommand;
import kiln.tensor.cli.CliSupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers for the repack tests. */
final class TestFiles {
    private TestFiles() {}


    /** Runs {@code kiln repack ARGS} with Kiln's CLI conventions; returns the exit code. */
    static int repack(String... args) {
        return CliSupport.run(new RepackCommand(), args);
    }
}
