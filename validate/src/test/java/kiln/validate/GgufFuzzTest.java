package kiln.validate;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded mutation fuzzing of the GGUF reader and of everything validate/inspect do with what it returns. Each
 * mutant of a fixture GGUF (bit flips and hostile integers in the header, truncation, spliced header bytes) must
 * either open or fail with a one-line {@link KilnException} — no other exception, no hang, no out-of-memory.
 *
 * <p>Runs {@code kiln.fuzz.seconds} seconds (default 20) from seed {@code kiln.fuzz.seed} (default 1234); a longer run:
 * {@code ./mvnw -pl validate -am test -Dtest=GgufFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.fuzz.seconds=600}.
 * A failure prints the seed and iteration, and keeps the mutant as {@code target/fuzz-failure.gguf}.
 */
class GgufFuzzTest {
    private static final long[] HOSTILE = {0, 1, -1, 2, 31, 32, 33, 63, 64, 255, 256, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL,
            1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 30, (1L << 30) + 1};

    @TempDir
    Path dir;

    record Source(Path path, byte[] bytes, int headerEnd) {}

    static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        for (Path p : FixtureFiles.allGgufs()) {
            if (Files.size(p) > 4L << 20) continue; // keep iterations fast; the small files cover every header shape
            byte[] b = Files.readAllBytes(p);
            out.add(new Source(p, b, (int) Math.min(b.length, new HeaderMap(b).dataOffset + 64)));
        }
        return out;
    }

    @Test
    void mutatedFixturesFailCleanly() throws IOException {
        long seconds = Long.getLong("kiln.fuzz.seconds", 20);
        long seed = Long.getLong("kiln.fuzz.seed", 1234);
        List<Source> sources = sources();
        assertFalse(sources.isEmpty());
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(seconds + 300), () -> {
            Random rnd = new Random(seed);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            Path f = scratch().resolve("mutant.gguf");
            for (long it = 0; System.nanoTime() < end; it++) {
                Source s = sources.get(rnd.nextInt(sources.size()));
                byte[] m = mutate(s, rnd);
                write(f, m, s.headerEnd(), it % 4 == 0);
                try {
                    exercise(f, it % 16 == 0);
                    counts[0]++;
                } catch (KilnException e) {
                    counts[1]++;
                    String msg = e.getMessage();
                    if (msg == null || msg.isBlank() || msg.contains("\n")) failWith(f, seed, it, s, "bad message: " + msg, e);
                } catch (Throwable t) {
                    failWith(f, seed, it, s, t.toString(), t);
                }
            }
        });
        System.out.printf("fuzz: %d mutants opened, %d rejected with a one-line error (seed %d, %d s)%n", counts[0], counts[1], seed, seconds);
        assertTrue(counts[1] > 0 && counts[0] + counts[1] > 100, "too few iterations: " + Arrays.toString(counts));
    }

    /** What inspect and validate do with a file, through the library (the commands add only printing). */
    private static void exercise(Path f, boolean deep) {
        try (GgufFile g = GgufFile.open(f)) {
            InspectReport.json(g);
            ModelView view = ModelView.of(g);
            kiln.validate.compat.Compatibility.judge(view);
            if (deep) DeepCheck.run(g);
        }
        FileValidation v = FileValidation.run(f, deep);
        for (String e : v.errors) if (e.contains("\n")) throw new AssertionError("multi-line error: " + e);
    }

    static byte[] mutate(Source s, Random rnd) {
        byte[] b = s.bytes().clone();
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            int at = rnd.nextInt(Math.max(1, s.headerEnd()));
            switch (rnd.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                case 2 -> putLong(b, at & ~7, HOSTILE[rnd.nextInt(HOSTILE.length)]);
                case 3 -> putInt(b, at & ~3, (int) HOSTILE[rnd.nextInt(HOSTILE.length)]);
                case 4 -> {
                    int from = rnd.nextInt(Math.max(1, s.headerEnd()));
                    int len = Math.min(1 + rnd.nextInt(64), Math.min(b.length - at, b.length - from));
                    System.arraycopy(s.bytes(), from, b, at, Math.max(0, len));
                }
                default -> {
                    return Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                }
            }
        }
        return b;
    }

    /** A memory-backed folder when there is one (the mutants are rewritten hundreds of times a second). */
    private Path scratch() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            Path d = Files.createTempDirectory(shm, "kiln-fuzz");
            d.toFile().deleteOnExit();
            shmDir = d;
            return d;
        }
        return dir;
    }

    private Path shmDir;

    @org.junit.jupiter.api.AfterEach
    void cleanScratch() throws IOException {
        if (shmDir == null) return;
        try (var s = Files.list(shmDir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(shmDir);
    }

    /**
     * Mutations touch only the header region, so most iterations write just that and extend the file with a hole
     * (zeros) to its length — much faster; every 4th writes the real data too, so --deep sees real blocks.
     */
    static void write(Path f, byte[] m, int headerEnd, boolean full) throws IOException {
        if (full) {
            Files.write(f, m);
            return;
        }
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(0);
            raf.write(m, 0, Math.min(m.length, headerEnd));
            raf.setLength(m.length);
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8 && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static void failWith(Path f, long seed, long it, Source s, String what, Throwable t) throws IOException {
        Path keep = Path.of("target", "fuzz-failure.gguf");
        Files.createDirectories(keep.getParent());
        Files.copy(f, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        fail("seed " + seed + " iteration " + it + " (mutant of " + s.path().getFileName() + ", kept as " + keep.toAbsolutePath()
                + "): " + what, t);
    }
}
