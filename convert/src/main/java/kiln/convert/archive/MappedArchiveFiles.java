package kiln.convert.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An archive read through a random-access reader of commons-compress ({@code R}: a .tar or .zip file) with the whole
 * file mapped read-only, so that entries stored uncompressed can be sliced from {@link #mapping} with zero copy.
 * Entries ({@code E}) are indexed by normalized name on construction; the reader and the mapping live until
 * {@link #close()}.
 */
abstract class MappedArchiveFiles<R extends Closeable, E> extends ArchiveFiles {
    private final Arena arena = Arena.ofShared();
    protected final R reader;
    protected final MemorySegment mapping;
    private final Map<String, E> entries = new HashMap<>();

    /** Takes ownership of {@code reader}: closed here on failure. */
    MappedArchiveFiles(Path archive, R reader) {
        super(archive);
        this.reader = reader;
        try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
            mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            List<String> names = new ArrayList<>();
            for (E e : fileEntries(reader)) {
                String n = ArchiveRoot.normalize(entryName(e));
                entries.put(n, e);
                names.add(n);
            }
            index(names);
        } catch (IOException e) {
            close();
            throw unreadable(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The entries that are files, in archive order (called once, from the constructor: use only {@code reader}). */
    protected abstract Iterable<E> fileEntries(R reader) throws IOException;

    /** The entry's name as the archive spells it. */
    protected abstract String entryName(E entry);

    /** A stream of the entry's (uncompressed) bytes. */
    protected abstract InputStream open(E entry) throws IOException;

    /** The archive entry named {@code entry}. */
    protected final E entry(String entry) {
        return entries.get(entry);
    }

    @Override
    protected final byte[] readSmall(String entry) {
        try (InputStream in = open(entries.get(entry))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw unreadable(e);
        }
    }

    @Override
    public final void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read only
        }
        if (arena.scope().isAlive()) arena.close();
    }
}
