package kiln.convert.pytorch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The {@code *.index.json} of a sharded checkpoint ({@code {"weight_map": {tensor: shard}}}). */
public final class ShardIndex {
    private ShardIndex() {}

    /**
     * When index file {@code index} exists, every shard it names must be among {@code shards} (a clear error instead
     * of missing tensors later).
     */
    public static void checkShardsPresent(CheckpointFiles files, String index, List<String> shards) {
        Optional<byte[]> bytes = files.read(index);
        if (bytes.isEmpty()) return;
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(bytes.get()).path("weight_map");
        } catch (IOException e) {
            throw new KilnException(files.describe() + "/" + index + ": not valid JSON (" + TorchZip.oneLine(e.getMessage()) + ")", e);
        }
        if (!map.isObject()) throw new KilnException(files.describe() + "/" + index + ": no weight_map object");
        for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText();
            if (!shards.contains(shard)) {
                throw new KilnException(files.describe() + "/" + index + ": tensor '" + e.getKey() + "' is in " + shard + ", which is missing");
            }
        }
    }
}
