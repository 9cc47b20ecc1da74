package kiln.convert.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.convert.pytorch.CheckpointFiles;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A minimal safetensors reader over {@link CheckpointFiles} (for archives; the folder reader of the convert
 * package is the main one — to be deduplicated): shards {@code model*.safetensors} sorted by name, tensors of a
 * shard sorted by name, as llama.cpp's converter visits them. Header: u64 little-endian length, JSON
 * {@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}, then the data.
 */
public final class SafetensorsShards {
    public static final String INDEX = "model.safetensors.index.json";
    /** The largest JSON header accepted, as the safetensors library does. */
    public static final long MAX_HEADER = 100L << 20;

    private SafetensorsShards() {}

    public static List<String> shardNames(CheckpointFiles files) {
        return files.names().stream().filter(n -> n.startsWith("model") && n.endsWith(".safetensors")).sorted().toList();
    }

    public static List<SourceTensor> tensors(CheckpointFiles files, List<String> shards) {
        checkIndex(files, shards);
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
        String where = files.describe() + "/" + shard;
        MemorySegment head = files.safetensorsHead(shard).map(MemorySegment::ofArray).orElseGet(() -> files.bytes(shard));
        long size = files.size(shard);
        if (size < 8 || head.byteSize() < 8) throw new KilnException(where + ": too short for a safetensors file (" + size + " bytes)");
        long n = head.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER || n > size - 8 || n > head.byteSize() - 8) {
            throw new KilnException(where + ": safetensors header length " + n + " does not fit the file of " + size + " bytes");
        }
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(head.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE));
        } catch (IOException e) {
            throw new KilnException(where + ": safetensors header is not valid JSON", e);
        }
        if (header == null || !header.isObject()) throw new KilnException(where + ": safetensors header is not a JSON object");
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(k -> { if (!k.equals("__metadata__")) names.add(k); });
        names.sort(null);
        List<SourceTensor> out = new ArrayList<>(names.size());
        for (String name : names) {
            JsonNode t = header.get(name);
            String dtype = t.path("dtype").asText("");
            int elem = dtypeSize(dtype);
            if (elem < 0) throw new KilnException(where + ": tensor '" + name + "' has unknown dtype '" + dtype + "'");
            JsonNode shapeNode = t.path("shape");
            JsonNode offs = t.path("data_offsets");
            if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) throw new KilnException(where + ": tensor '" + name + "' lacks shape or data_offsets");
            long[] shape = new long[shapeNode.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0 || !shapeNode.get(i).canConvertToLong()) throw new KilnException(where + ": tensor '" + name + "' has a bad shape");
                numel = Math.multiplyExact(numel, shape[i]);
            }
            long begin = offs.get(0).asLong(-1);
            long end = offs.get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataSize || end - begin != numel * elem) {
                throw new KilnException(where + ": tensor '" + name + "' data_offsets [" + begin + ", " + end + "] do not fit "
                        + numel + " x " + dtype + " within " + dataSize + " data bytes");
            }
            out.add(new Tensor(name, dtype, shape, files, shard, dataStart + begin, end - begin));
        }
        return out;
    }

    static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    private static void checkIndex(CheckpointFiles files, List<String> shards) {
        Optional<byte[]> index = files.read(INDEX);
        if (index.isEmpty()) return;
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.get()).path("weight_map");
        } catch (IOException e) {
            throw new KilnException(files.describe() + "/" + INDEX + ": not valid JSON", e);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!shards.contains(e.getValue().asText())) {
                throw new KilnException(files.describe() + "/" + INDEX + ": tensor '" + e.getKey() + "' is in " + e.getValue().asText() + ", which is missing");
            }
        }
    }

    private record Tensor(String name, String dtype, long[] shape, CheckpointFiles files, String shard, long offset, long length)
            implements SourceTensor {
        @Override public long[] shape() { return shape.clone(); }
        @Override public MemorySegment data() { return files.bytes(shard).asSlice(offset, length); }
    }
}
