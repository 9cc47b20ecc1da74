package kiln.convert.archive;

import kiln.convert.safetensors.SafetensorsHeader;
import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model folder in a .tar.gz/.tgz, read as a stream and never unpacked to disk. Opening reads the archive once,
 * keeping the small files (config, tokenizer, index) on the heap and the order of all entries. A weight file is
 * then loaded off-heap when first asked for, by reading on from where the stream stands (or from the start again
 * when the file lies behind it); {@link ArchiveFiles} keeps the last two loaded, so memory stays at about two
 * weight files (plus tensor segments the caller still holds). Safetensors headers are captured during the first
 * pass, so listing tensors does not read the archive again.
 */
final class TarGzFiles extends ArchiveFiles {
    private final List<String> order = new ArrayList<>();
    private final Map<String, Long> sizes = new HashMap<>();
    private final Map<String, byte[]> small = new HashMap<>();
    private final Map<String, byte[]> safetensorsHeads = new HashMap<>();
    private TarArchiveInputStream stream;
    private int streamAt = -1; // index in order of the entry the stream last returned

    TarGzFiles(Path archive) {
        super(archive);
        try (TarArchiveInputStream in = openStream()) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (!e.isFile()) continue;
                String n = ArchiveRoot.normalize(e.getName());
                order.add(n);
                sizes.put(n, e.getRealSize());
                if (!isWeightFile(n) && e.getRealSize() <= SMALL_FILE_LIMIT) {
                    byte[] b = in.readAllBytes();
                    if (b.length != e.getRealSize()) throw new KilnException(archive + ": " + n + " is truncated");
                    small.put(n, b);
                } else if (n.endsWith(".safetensors")) {
                    byte[] head = readSafetensorsHead(in, e.getRealSize());
                    if (head != null) safetensorsHeads.put(n, head);
                }
            }
        } catch (IOException e) {
            throw unreadable(e);
        }
        index(order);
    }

    /** The u64 length and JSON header of a safetensors entry, or null when they do not fit (left to the full reader to report). */
    private static byte[] readSafetensorsHead(InputStream in, long size) throws IOException {
        if (size < 8) return null;
        byte[] len = in.readNBytes(8);
        if (len.length < 8) return null;
        long n = java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > SafetensorsHeader.MAX_HEADER || n > size - 8) return null;
        byte[] head = java.util.Arrays.copyOf(len, (int) (8 + n));
        if (in.readNBytes(head, 8, (int) n) != n) return null;
        return head;
    }

    @Override
    public long size(String name) {
        String entry = entryOf(name);
        return entry == null ? bytes(name).byteSize() : sizes.get(entry);
    }

    @Override
    public java.util.Optional<byte[]> safetensorsHead(String name) {
        String entry = entryOf(name);
        return java.util.Optional.ofNullable(entry == null ? null : safetensorsHeads.get(entry));
    }

    private TarArchiveInputStream openStream() throws IOException {
        InputStream file = new BufferedInputStream(Files.newInputStream(archive), 1 << 20);
        try {
            return new TarArchiveInputStream(GzipCompressorInputStream.builder().setInputStream(file).setDecompressConcatenated(true).get());
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    @Override
    protected long entrySize(String entry) {
        return sizes.get(entry);
    }

    @Override
    protected byte[] readSmall(String entry) {
        byte[] b = small.get(entry);
        if (b != null) return b.clone();
        return load(entry).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    @Override
    protected MemorySegment sliceIfStored(String entry) {
        return null;
    }

    @Override
    protected synchronized MemorySegment load(String entry) {
        int target = order.indexOf(entry);
        try {
            if (stream == null || target <= streamAt) {
                closeStream();
                stream = openStream();
                streamAt = -1;
            }
            TarArchiveEntry e;
            while ((e = stream.getNextEntry()) != null) {
                if (!e.isFile()) continue;
                streamAt++;
                if (streamAt == target) return copyOffHeap(stream, e.getRealSize(), entry);
            }
            throw new KilnException(archive + ": " + entry + " vanished from the archive on re-reading (was it changed?)");
        } catch (IOException e) {
            closeStream();
            throw unreadable(e);
        }
    }

    private void closeStream() {
        if (stream == null) return;
        try {
            stream.close();
        } catch (IOException ignored) {
            // read only
        }
        stream = null;
        streamAt = -1;
    }

    @Override
    public synchronized void close() {
        closeStream();
    }
}
