package kiln.tensor.io;

import kiln.tensor.KilnException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The one way a Kiln command writes an output: into a fresh temporary {@code .OUT.<random>.tmp} beside {@code OUT},
 * created exclusively (it never reuses, truncates or follows an existing name, so a planted link or a concurrent
 * run writing the same {@code OUT} is never touched), then renamed onto {@code OUT} by {@link #commit()} — the only
 * way {@code OUT} appears. {@link #close()} without a commit deletes the temporary file (or folder), and every live
 * temporary is registered with one shutdown hook, so SIGTERM/SIGINT leave nothing behind either.
 */
public final class PendingOutput implements AutoCloseable {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Thread hook = new Thread(PendingOutput::deleteAllLive, "kiln-temp-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private final Path target;
    private final Path path;
    private boolean done;

    private PendingOutput(Path target, Path path) {
        this.target = target;
        this.path = path;
    }

    /** A new empty temporary file for {@code target}, in the target's folder. */
    public static PendingOutput file(Path target) {
        return create(target, false);
    }

    /** A new empty temporary folder for {@code target} (an output that is a folder), in the target's parent. */
    public static PendingOutput directory(Path target) {
        return create(target, true);
    }

    private static PendingOutput create(Path target, boolean folder) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) throw new KilnException(target + ": not a file name to write");
        if (!Files.isDirectory(dir)) throw new KilnException(target + ": output folder " + dir + " does not exist");
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + abs.getFileName() + "." + randomTag() + ".tmp");
            LIVE.add(tmp); // registered before it exists, so a signal between the two cannot leak it
            try {
                if (folder) Files.createDirectory(tmp);
                else Files.createFile(tmp); // O_CREAT|O_EXCL: fails on any existing name, links included
                return new PendingOutput(target, tmp);
            } catch (FileAlreadyExistsException e) {
                LIVE.remove(tmp);
                if (attempt >= 100) throw new KilnException(target + ": cannot create a temporary file in " + dir, e);
            } catch (IOException e) {
                LIVE.remove(tmp);
                throw new KilnException(target + ": cannot write in " + dir + ": " + reason(e), e);
            }
        }
    }

    private static String randomTag() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    private static String reason(IOException e) {
        return e instanceof java.nio.file.AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
    }

    /** Where to write; open it without {@code CREATE} (it exists) and with {@code NOFOLLOW_LINKS}. */
    public Path path() {
        return path;
    }

    public Path target() {
        return target;
    }

    /** Renames the finished temporary onto the target (atomically where the file system can). */
    public void commit() {
        if (done) throw new IllegalStateException(target + " was already committed or discarded");
        try {
            try {
                Files.move(path, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(path, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new KilnException(target + ": cannot finish writing: " + reason(e), 1, e);
        }
        done = true;
        LIVE.remove(path);
    }

    /** Deletes the temporary unless it was committed. */
    @Override
    public void close() {
        if (done) return;
        done = true;
        delete(path);
        LIVE.remove(path);
    }

    /** The temporaries not yet committed or discarded (for tests). */
    static Set<Path> live() {
        return Set.copyOf(LIVE);
    }

    private static void deleteAllLive() {
        for (Path p : LIVE) delete(p);
    }

    /** Deletes a file or a folder tree without following links. */
    private static void delete(Path p) {
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.walk(p)) {
                    for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
                }
            } else {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: nothing more can be done while failing or shutting down
        }
    }
}
