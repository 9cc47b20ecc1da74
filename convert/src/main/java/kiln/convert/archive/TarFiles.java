package kiln.convert.archive;

import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

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

/** A model folder in an uncompressed .tar: every entry is a zero-copy slice of the mapped archive. */
final class TarFiles extends ArchiveFiles {
    private final TarFile tar;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment mapping;
    private final Map<String, TarArchiveEntry> entries = new HashMap<>();

    TarFiles(Path archive) {
        super(archive);
        try {
            tar = new TarFile(archive);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new KilnException(archive + ": not a readable tar archive (" + String.valueOf(e.getMessage()).replaceAll("[\\r\\n]+", " ") + ")", e);
        }
        try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
            mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            List<String> names = new ArrayList<>();
            for (TarArchiveEntry e : tar.getEntries()) {
                if (!e.isFile()) continue;
                String n = ArchiveRoot.normalize(e.getName());
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

    @Override
    protected long entrySize(String entry) {
        return entries.get(entry).getRealSize();
    }

    @Override
    protected byte[] readSmall(String entry) {
        try (InputStream in = tar.getInputStream(entries.get(entry))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw unreadable(e);
        }
    }

    @Override
    protected MemorySegment sliceIfStored(String entry) {
        TarArchiveEntry e = entries.get(entry);
        if (e.isSparse()) return null;
        long off = e.getDataOffset();
        if (off < 0 || off + e.getSize() > mapping.byteSize()) throw new KilnException(archive + ": " + entry + " runs past the end of the archive (truncated?)");
        return mapping.asSlice(off, e.getSize());
    }

    @Override
    protected MemorySegment load(String entry) {
        TarArchiveEntry e = entries.get(entry);
        try (InputStream in = tar.getInputStream(e)) {
            return copyOffHeap(in, e.getRealSize(), entry);
        } catch (IOException ex) {
            throw unreadable(ex);
        }
    }

    @Override
    public void close() {
        try {
            if (tar != null) tar.close();
        } catch (IOException ignored) {
            // read only
        }
        if (arena.scope().isAlive()) arena.close();
    }
}
