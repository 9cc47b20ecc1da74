package kiln.convert.pytorch;

import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** A model folder on disk: weight files are memory-mapped (read-only, zero copy) until {@link #close()}. */
public final class FolderFiles implements CheckpointFiles {
    private final Path folder;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> mapped = new ConcurrentHashMap<>();

    public FolderFiles(Path folder) {
        if (!Files.isDirectory(folder)) throw new KilnException(folder + ": not a folder");
        this.folder = folder;
    }

    @Override
    public String describe() {
        return folder.toString();
    }

    @Override
    public List<String> names() {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new KilnException(folder + ": cannot list: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> read(String name) {
        Path p = folder.resolve(name);
        if (!Files.isRegularFile(p)) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new KilnException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public MemorySegment bytes(String name) {
        return mapped.computeIfAbsent(name, this::map);
    }

    private MemorySegment map(String name) {
        Path p = folder.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new KilnException(p + ": missing", e);
        } catch (IOException e) {
            throw new KilnException(p + ": cannot map: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
