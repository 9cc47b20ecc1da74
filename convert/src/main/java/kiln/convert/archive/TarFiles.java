package kiln.convert.archive;

import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/** A model folder in an uncompressed .tar: every entry is a zero-copy slice of the mapped archive. */
final class TarFiles extends MappedArchiveFiles<TarFile, TarArchiveEntry> {
    TarFiles(Path archive) {
        super(archive, openTar(archive));
    }

    private static TarFile openTar(Path archive) {
        try {
            return new TarFile(archive);
        } catch (IOException | RuntimeException e) {
            throw new KilnException(archive + ": not a readable tar archive (" + String.valueOf(e.getMessage()).replaceAll("[\\r\\n]+", " ") + ")", e);
        }
    }

    @Override
    protected List<TarArchiveEntry> fileEntries(TarFile tar) {
        return tar.getEntries().stream().filter(TarArchiveEntry::isFile).toList();
    }

    @Override
    protected String entryName(TarArchiveEntry entry) {
        return entry.getName();
    }

    @Override
    protected InputStream open(TarArchiveEntry entry) throws IOException {
        return reader.getInputStream(entry);
    }

    @Override
    protected long entrySize(String entry) {
        return entry(entry).getRealSize();
    }

    @Override
    protected MemorySegment sliceIfStored(String entry) {
        TarArchiveEntry e = entry(entry);
        if (e.isSparse()) return null;
        long off = e.getDataOffset();
        if (off < 0 || off + e.getSize() > mapping.byteSize()) throw new KilnException(archive + ": " + entry + " runs past the end of the archive (truncated?)");
        return mapping.asSlice(off, e.getSize());
    }

    @Override
    protected MemorySegment load(String entry) {
        TarArchiveEntry e = entry(entry);
        try (InputStream in = open(e)) {
            return copyOffHeap(in, e.getRealSize(), entry);
        } catch (IOException ex) {
            throw unreadable(ex);
        }
    }
}
