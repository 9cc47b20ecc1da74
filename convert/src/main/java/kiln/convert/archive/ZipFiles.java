package kiln.convert.archive;

import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

/** A model folder in a .zip: stored entries are slices of the mapped archive, deflated ones are inflated one at a time. */
final class ZipFiles extends MappedArchiveFiles<ZipFile, ZipArchiveEntry> {
    ZipFiles(Path archive) {
        super(archive, openZip(archive));
    }

    private static ZipFile openZip(Path archive) {
        try {
            return ZipFile.builder().setPath(archive).get();
        } catch (IOException e) {
            throw new KilnException(archive + ": not a readable ZIP archive (" + oneLine(e.getMessage()) + ")", e);
        }
    }

    @Override
    protected List<ZipArchiveEntry> fileEntries(ZipFile zip) {
        List<ZipArchiveEntry> out = new ArrayList<>();
        for (Enumeration<ZipArchiveEntry> en = zip.getEntriesInPhysicalOrder(); en.hasMoreElements(); ) {
            ZipArchiveEntry e = en.nextElement();
            if (!e.isDirectory()) out.add(e);
        }
        return out;
    }

    @Override
    protected String entryName(ZipArchiveEntry entry) {
        return entry.getName();
    }

    @Override
    protected InputStream open(ZipArchiveEntry entry) throws IOException {
        return reader.getInputStream(entry);
    }

    @Override
    protected long entrySize(String entry) {
        return entry(entry).getSize();
    }

    @Override
    protected MemorySegment sliceIfStored(String entry) {
        ZipArchiveEntry e = entry(entry);
        if (e.getMethod() != ZipArchiveEntry.STORED) return null;
        long off = e.getDataOffset();
        if (off < 0 || e.getSize() != e.getCompressedSize() || off + e.getSize() > mapping.byteSize()) {
            throw new KilnException(archive + ": " + entry + " lies outside the archive (truncated?)");
        }
        return mapping.asSlice(off, e.getSize());
    }

    @Override
    protected MemorySegment load(String entry) {
        ZipArchiveEntry e = entry(entry);
        if (!reader.canReadEntryData(e)) throw new KilnException(archive + ": " + entry + " uses an unsupported ZIP compression method " + e.getMethod());
        try (InputStream in = open(e)) {
            return copyOffHeap(in, e.getSize(), entry);
        } catch (IOException ex) {
            throw unreadable(ex);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "unreadable" : s.replaceAll("[\\r\\n]+", " ");
    }
}
