package kiln.tensor.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the golden fixtures: system property {@code kiln.fixtures} (set by the build to
 * {@code ../shared/fixtures}), or the environment variable {@code KILN_FIXTURES}. Golden tests call
 * {@link #require()}, which aborts (reports as skipped) when the folder is absent, as on a fresh clone
 * without shared/; CI has it.
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path root() {
        String p = System.getProperty("kiln.fixtures");
        if (p == null || p.isBlank()) p = System.getenv("KILN_FIXTURES");
        if (p == null || p.isBlank()) p = "../shared/fixtures";
        return Path.of(p).toAbsolutePath().normalize();
    }

    public static boolean present() {
        return Files.isDirectory(root().resolve("tiny-deepseek"));
    }

    /** The fixtures root; the calling test is aborted (skipped, with the reason) when it does not exist. */
    public static Path require() {
        Assumptions.assumeTrue(present(), "golden fixtures not found at " + root());
        return root();
    }

    public static Path file(String relative) {
        Path p = require().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "fixture file missing: " + p);
        return p;
    }
}
