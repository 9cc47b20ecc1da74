package kiln.convert.archive;

import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A model folder in a .zip: stored entries are slices of the mapped archive, deflated ones are inflated one at a time. */
final class ZipFiles extends ArchiveFiles {
    private final ZipFile zip;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment mapping;
    private final Map<String, ZipArchiveEntry> entries = new HashMap<>();

    ZipFiles(Path archive) {
        super(archive);
        try {
            zip = ZipFile.builder().setPath(archive).get();
        } catch (IOException e) {
            arena.close();
            throw new KilnException(archive + ": not a readable ZIP archive (" + oneLine(e.getMessage()) + ")", e);
        }
        try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
            mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            List<String> names = new ArrayList<>();
            for (Enumeration<ZipArchiveEntry> en = zip.getEntriesInPhysicalOrder(); en.hasMoreElements(); ) {
                ZipArchiveEntry e = en.nextElement();
                if (e.isDirectory()) continue;
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
        return entries.get(entry).getSize();
    }

    @Override
    protected byte[] readSmall(String entry) {
        try (InputStream in = zip.getInputStream(entries.get(entry))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw unreadable(e);
        }
    }

    @Override
    protected MemorySegment sliceIfStored(String entry) {
        ZipArchiveEntry e = entries.get(entry);
        if (e.getMethod() != ZipArchiveEntry.STORED) return null;
        long off = e.getDataOffset();
        if (off < 0 || e.getSize() != e.getCompressedSize() || off + e.getSize() > mapping.byteSize()) {
            throw new KilnException(archive + ": " + entry + " lies outside the archive (truncated?)");
        }
        return mapping.asSlice(off, e.getSize());
    }

    @Override
    protected MemorySegment load(String entry) {
        ZipArchiveEntry e = entries.get(entry);
        if (!zip.canReadEntryData(e)) throw new KilnException(archive + ": " + entry + " uses an unsupported ZIP compression method " + e.getMethod());
        try (InputStream in = zip.getInputStream(e)) {
            return copyOffHeap(in, e.getSize(), entry);
        } catch (IOException ex) {
            throw unreadable(ex);
        }
    }

    @Override
    public void close() {
        try {
            if (zip != null) zip.close();
        } catch (IOException ignored) {
            // read only
        }
        if (arena.scope().isAlive()) arena.close();
    }

    private static String oneLine(String s) {
        return s == null ? "unreadable" : s.replaceAll("[\\r\\n]+", " ");
    }
}
