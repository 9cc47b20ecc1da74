package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The fixture GGUFs, and header-only models rebuilt from a fixture's recorded {@code results/gguf_inventory.json}. */
final class FixtureFiles {
    private FixtureFiles() {}

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern ARRAY = Pattern.compile("<array of (\\d+)>");

    static List<Path> allGgufs() throws IOException {
        Path root = Fixtures.require();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    static List<Path> modelDirs() throws IOException {
        Path root = Fixtures.require();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("MANIFEST.md"))).sorted().toList();
        }
    }

    static JsonNode json(Path p) throws IOException {
        return MAPPER.readTree(p.toFile());
    }

    /** A header-only model from one entry of gguf_inventory.json (metadata with array lengths, tensor list). */
    static ModelView fromInventory(String name, JsonNode entry) {
        GgufMetadata md = new GgufMetadata(name);
        var fields = entry.get("kv").properties();
        for (var e : fields) {
            JsonNode v = e.getValue();
            GgufValue value;
            if (v.isBoolean()) value = GgufValue.ofBool(v.booleanValue());
            else if (v.isIntegralNumber()) value = GgufValue.ofU32((int) v.longValue());
            else if (v.isNumber()) value = GgufValue.ofF32((float) v.doubleValue());
            else {
                Matcher m = ARRAY.matcher(v.asText());
                if (m.matches()) {
                    String[] a = new String[Integer.parseInt(m.group(1))];
                    java.util.Arrays.fill(a, "");
                    value = new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, a);
                } else {
                    value = GgufValue.ofString(v.asText());
                }
            }
            md.put(e.getKey(), value);
        }
        List<TensorInfo> tensors = new ArrayList<>();
        for (JsonNode t : entry.get("tensors")) {
            GgmlType type = GgmlType.byName(t.get("type").asText());
            if (type == null) throw new IllegalStateException(name + ": unknown type " + t.get("type"));
            long[] ne = new long[t.get("shape").size()];
            for (int i = 0; i < ne.length; i++) ne[i] = t.get("shape").get(i).longValue();
            tensors.add(new TensorInfo(t.get("name").asText(), type, ne, t.get("offset").longValue(), 0));
        }
        return new ModelView(name, md, tensors);
    }
}
