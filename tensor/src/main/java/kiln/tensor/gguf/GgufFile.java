package kiln.tensor.gguf;

import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF model opened read-only on FFM mmap: one file, or a split set ({@code name-00001-of-00003.gguf})
 * opened as one model. Tensor data is exposed as {@link MemorySegment} slices of the mapping (zero copy);
 * the mapping lives until {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    /** One physical file of the model. */
    public record Shard(Path path, int version, GgufMetadata metadata, long alignment, long dataOffset,
                        MemorySegment mapping, List<TensorInfo> tensors) {}

    private final Arena arena;
    private final List<Shard> shards;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;

    private GgufFile(Arena arena, List<Shard> shards) {
        this.arena = arena;
        this.shards = List.copyOf(shards);
        List<TensorInfo> all = new ArrayList<>();
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (Shard s : shards) {
            for (TensorInfo t : s.tensors()) {
                if (map.put(t.name(), t) != null) {
                    throw new GgufFormatException(s.path().toString(), -1, "duplicate tensor name '" + t.name() + "' across split files");
                }
                all.add(t);
            }
        }
        this.tensors = Collections.unmodifiableList(all);
        this.byName = Collections.unmodifiableMap(map);
    }

    /**
     * Opens a GGUF file. When it is the first file of a split set ({@code split.count} &gt; 1), the other files
     * are found from its name and opened too; their order, {@code split.no} and the total tensor count are checked.
     */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            Shard first = openShard(arena, path, 0);
            long count = first.metadata().getLong("split.count", 0);
            List<Shard> shards = new ArrayList<>();
            shards.add(first);
            if (count > 1) {
                if (first.metadata().getLong("split.no", 0) != 0) {
                    throw new KilnException(path + ": this is split file #" + (first.metadata().getLong("split.no", 0) + 1)
                            + "; open the first file of the set (-00001-of-" + String.format("%05d", count) + ".gguf)");
                }
                Matcher m = SPLIT.matcher(path.getFileName().toString());
                if (!m.matches() || Integer.parseInt(m.group(3)) != count) {
                    throw new KilnException(path + ": split.count is " + count + " but the file name does not end in -00001-of-"
                            + String.format("%05d", count) + ".gguf");
                }
                for (int i = 1; i < count; i++) {
                    Path p = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i + 1, count));
                    Shard s = openShard(arena, p, i);
                    long no = s.metadata().getLong("split.no", -1);
                    if (no != i) throw new KilnException(p + ": split.no is " + no + ", expected " + i);
                    shards.add(s);
                }
                GgufFile f = new GgufFile(arena, shards);
                long expected = first.metadata().getLong("split.tensors.count", f.tensors.size());
                if (expected != f.tensors.size()) {
                    throw new KilnException(path + ": corrupted split set: " + expected + " tensors expected but " + f.tensors.size() + " found");
                }
                return f;
            }
            return new GgufFile(arena, shards);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Shard openShard(Arena arena, Path path, int index) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GgufHeaderParser.Header h = GgufHeaderParser.parse(seg, path.toString(), index);
            return new Shard(path, h.version(), h.metadata(), h.alignment(), h.dataOffset(), seg, h.tensors());
        } catch (NoSuchFileException e) {
            throw new KilnException(path + ": no such file");
        } catch (IOException e) {
            throw new KilnException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Metadata of the first file (the model's metadata). */
    public GgufMetadata metadata() {
        return shards.getFirst().metadata();
    }

    public int version() {
        return shards.getFirst().version();
    }

    public long alignment() {
        return shards.getFirst().alignment();
    }

    public Path path() {
        return shards.getFirst().path();
    }

    public List<Shard> shards() {
        return shards;
    }

    /** All tensors in file order (shard by shard). */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    public boolean hasTensor(String name) {
        return byName.containsKey(name);
    }

    /** The tensor's bytes, a zero-copy slice of the mapping. */
    public MemorySegment data(TensorInfo t) {
        Shard s = shards.get(t.shard());
        return s.mapping().asSlice(s.dataOffset() + t.offset(), t.byteSize());
    }

    public MemorySegment data(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) throw new KilnException(path() + ": no tensor named '" + name + "'");
        return data(t);
    }

    /** Total bytes of tensor data (without padding). */
    public long tensorBytes() {
        long n = 0;
        for (TensorInfo t : tensors) n += t.byteSize();
        return n;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** True when the path names a GGUF file (by its magic), without parsing more. */
    public static boolean looksLikeGguf(Path path) {
        try (var in = Files.newInputStream(path)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }
}
