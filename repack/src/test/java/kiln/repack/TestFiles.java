package kiln.repack;

import kiln.repack.RepackCommand;
import kiln.tensor.cli.CliSupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Small helpers for the repack tests. */
final class TestFiles {
    private TestFiles() {}

    static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code kiln repack ARGS} with Kiln's CLI conventions; returns the exit code. */
    static int repack(String... args) {
        return CliSupport.run(new RepackCommand(), args);
    }
}
