package kiln.tensor.cli;

import kiln.tensor.io.Checksums;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --checksums}, shared by the writers (quantize, repack, convert): OUT.sha256 beside OUT ({@link Checksums}). */
public final class ChecksumsOption {
    @Option(names = "--checksums", description = "also write OUT.sha256: the sha256 of the header and of each tensor's data "
            + "(kiln validate --verify OUT checks a copy against it)")
    boolean enabled;

    /** After OUT (or the first file of a split set) is complete: writes its sidecar when asked and says so on stderr. */
    public void afterWrite(Path out, int threads) {
        if (enabled) System.err.println("wrote " + Checksums.write(out, threads));
    }
}
