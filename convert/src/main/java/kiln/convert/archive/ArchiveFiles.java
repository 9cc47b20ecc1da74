package kiln.convert.archive;

import kiln.convert.pytorch.CheckpointFiles;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The model folder inside an archive. Subclasses say how to reach an entry's bytes: sliced from the mapped archive
 * (entries stored uncompressed in a .zip or .tar: zero copy) or loaded off-heap (compressed entries). Loaded
 * entries are cached in {@link #LOADED_SLOTS} slots, least recently used first out: this object holds at most two
 * weight files' bytes at a time (two, so that parallel workers at a shard boundary, or an FP8 weight whose scale
 * lies in the next shard, do not reload a shard again and again); evicted ones are freed by the GC once the caller
 * no longer references segments of them.
 */
abstract class ArchiveFiles implements CheckpointFiles {
    /** Non-weight files up to this size are read onto the heap (config, tokenizer, index). */
    static final long SMALL_FILE_LIMIT = 256L << 20;

    protected final Path archive;
    private Map<String, String> files;
    /** How many loaded (not mapped) weight files are kept. */
    static final int LOADED_SLOTS = 2;

    private final LinkedHashMap<String, MemorySegment> loaded = new LinkedHashMap<>(4, 0.75f, true);
    private int loads;

    ArchiveFiles(Path archive) {
        this.archive = archive;
    }

    /** Call once the archive's file entries (normalized names, archive order) are known. */
    protected final void index(List<String> fileEntries) {
        files = ArchiveRoot.modelFiles(archive.toString(), fileEntries);
    }

    /** The archive entry of model file {@code name}, or null. */
    protected final String entryOf(String name) {
        return files.get(name);
    }

    @Override
    public String describe() {
        return archive.toString();
    }

    @Override
    public List<String> names() {
        return files.keySet().stream().sorted().toList();
    }

    @Override
    public Optional<byte[]> read(String name) {
        String entry = files.get(name);
        if (entry == null) return Optional.empty();
        if (entrySize(entry) > SMALL_FILE_LIMIT) throw new KilnException(archive + ": " + entry + " is too large to read as a small file");
        return Optional.of(readSmall(entry));
    }

    @Override
    public final synchronized MemorySegment bytes(String name) {
        String entry = files.get(name);
        if (entry == null) throw new KilnException(archive + ": " + name + " is not in the archive's model folder");
        MemorySegment mapped = sliceIfStored(entry);
        if (mapped != null) return mapped;
        MemorySegment hit = loaded.get(entry);
        if (hit != null) return hit;
        while (loaded.size() >= LOADED_SLOTS) loaded.pollFirstEntry(); // let the least recently used go before loading
        MemorySegment seg = load(entry);
        loads++;
        loaded.put(entry, seg);
        return seg;
    }

    /** How many times a weight file was loaded off-heap (for tests of the memory/re-read behaviour). */
    final synchronized int loads() {
        return loads;
    }

    /** Size in bytes of an entry. */
    protected abstract long entrySize(String entry);

    /** A small entry's bytes. */
    protected abstract byte[] readSmall(String entry);

    /** A zero-copy slice of the mapped archive when the entry is stored uncompressed, else null. */
    protected abstract MemorySegment sliceIfStored(String entry);

    /** The entry's bytes loaded off-heap. */
    protected abstract MemorySegment load(String entry);

    static boolean isWeightFile(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")
                || n.endsWith(".ckpt") || n.endsWith(".gguf") || n.endsWith(".h5") || n.endsWith(".msgpack") || n.endsWith(".onnx");
    }

    /** Copies exactly {@code size} bytes of a stream into a new off-heap segment (freed when unreachable). */
    protected final MemorySegment copyOffHeap(InputStream in, long size, String entry) throws IOException {
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, size), 64).asSlice(0, size);
        byte[] buf = new byte[1 << 20];
        long done = 0;
        while (done < size) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, size - done));
            if (n < 0) throw new KilnException(archive + ": " + entry + " ends after " + done + " of " + size + " bytes (truncated archive)");
            MemorySegment.copy(buf, 0, out, ValueLayout.JAVA_BYTE, done, n);
            done += n;
        }
        return out;
    }

    protected final KilnException unreadable(IOException e) {
        if (e instanceof java.io.EOFException) return new KilnException(archive + ": the archive ends early (truncated?)", e);
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replaceAll("[\\r\\n]+", " ");
        return new KilnException(archive + ": cannot read the archive (" + m + ")", e);
    }
}
