package kiln.convert.archive;

import kiln.convert.pytorch.CheckpointFiles;
import kiln.convert.pytorch.ShardIndex;
import kiln.convert.safetensors.Dtypes;
import kiln.convert.safetensors.SafetensorsHeader;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Safetensors shards over {@link CheckpointFiles} (for archives): shards {@code model*.safetensors} sorted by
 * name, tensors of a shard sorted by name, as llama.cpp's converter visits them. Each header is parsed and
 * checked by {@link SafetensorsHeader}, as the folder reader does; the data stays in the files until read.
 */
public final class SafetensorsShards {
    public static final String INDEX = "model.safetensors.index.json";

    private SafetensorsShards() {}

    public static List<String> shardNames(CheckpointFiles files) {
        return files.names().stream().filter(n -> n.startsWith("model") && n.endsWith(".safetensors")).sorted().toList();
    }

    public static List<SourceTensor> tensors(CheckpointFiles files, List<String> shards) {
        ShardIndex.checkShardsPresent(files, INDEX, shards);
        List<SourceTensor> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String shard : shards) {
            for (SourceTensor t : shard(files, shard)) {
                if (!seen.add(t.name())) throw new KilnException(files.describe() + "/" + shard + ": tensor '" + t.name() + "' appears in more than one shard");
                out.add(t);
            }
        }
        return out;
    }

    private static List<SourceTensor> shard(CheckpointFiles files, String shard) {
        MemorySegment head = files.safetensorsHead(shard).map(MemorySegment::ofArray).orElseGet(() -> files.bytes(shard));
        List<SafetensorsHeader.Entry> entries = new ArrayList<>(
                SafetensorsHeader.parse(files.describe() + "/" + shard, head, files.size(shard), Dtypes::knownSize, Dtypes.KNOWN));
        entries.sort(Comparator.comparing(SafetensorsHeader.Entry::name));
        List<SourceTensor> out = new ArrayList<>(entries.size());
        for (SafetensorsHeader.Entry e : entries) out.add(new Tensor(e.name(), e.dtype(), e.shape(), files, shard, e.offset(), e.length()));
        return out;
    }

    private record Tensor(String name, String dtype, long[] shape, CheckpointFiles files, String shard, long offset, long length)
            implements SourceTensor {
        @Override public long[] shape() { return shape.clone(); }
        @Override public MemorySegment data() { return files.bytes(shard).asSlice(offset, length); }
    }
}
