package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test helper: what the fixtures record about a quantized file they did not keep — its size and sha256
 * ({@code results/not_included_artifacts.json}) and its KV keys, KV values and tensor list
 * ({@code results/gguf_inventory.json}).
 */
final class IkRecordedFiles {
    private IkRecordedFiles() {}

    record Recorded(long bytes, String sha256) {}

    record Planned(String name, GgmlType type) {}

    static Recorded recorded(Path modelDir, String file) throws IOException {
        String json = Files.readString(modelDir.resolve("results/not_included_artifacts.json"));
        Matcher m = Pattern.compile("\"file\":\\s*\"" + Pattern.quote(file)
                + "\",\\s*\"bytes\":\\s*(\\d+),\\s*\"sha256\":\\s*\"([0-9a-f]{64})\"").matcher(json);
        if (!m.find()) throw new IllegalStateException(file + " not in not_included_artifacts.json");
        return new Recorded(Long.parseLong(m.group(1)), m.group(2));
    }

    /** The recorded tensors of {@code file} in file order. */
    static List<Planned> tensors(Path modelDir, String file) throws IOException {
        String json = Files.readString(modelDir.resolve("results/gguf_inventory.json"));
        int start = entry(json, file);
        int tensors = json.indexOf("\"tensors\":", start);
        int end = json.indexOf("\n \"", start + 1);
        Matcher m = Pattern.compile("\\{\\s*\"name\":\\s*\"([^\"]+)\",\\s*\"type\":\\s*\"([^\"]+)\"")
                .matcher(json).region(tensors, end < 0 ? json.length() : end);
        List<Planned> out = new ArrayList<>();
        while (m.find()) out.add(new Planned(m.group(1), typeNamed(m.group(2))));
        return out;
    }

    /** The recorded KV keys of {@code file} in file order. */
    static List<String> keys(Path modelDir, String file) throws IOException {
        String json = Files.readString(modelDir.resolve("results/gguf_inventory.json"));
        int kv = json.indexOf("\"kv\":", entry(json, file));
        int end = json.indexOf("\"tensors\":", kv);
        Matcher m = Pattern.compile("\"([A-Za-z0-9_.\\-]+)\":\\s").matcher(json).region(kv + 6, end);
        List<String> keys = new ArrayList<>();
        while (m.find()) keys.add(m.group(1));
        return keys;
    }

    /** The raw JSON text of one recorded KV value, e.g. {@code 15} or {@code "text/calib.txt"}. */
    static String value(Path modelDir, String file, String key) throws IOException {
        String json = Files.readString(modelDir.resolve("results/gguf_inventory.json"));
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*([^,}]+)").matcher(json);
        if (!m.find(entry(json, file))) throw new IllegalStateException(key + " not recorded for " + file);
        return m.group(1).trim();
    }

    private static int entry(String json, String file) {
        int start = json.indexOf("\"" + file + "\":");
        if (start < 0) throw new IllegalStateException(file + " not in gguf_inventory.json");
        return start;
    }

    private static GgmlType typeNamed(String name) {
        for (GgmlType t : GgmlType.values()) if (t.ggmlName().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("unknown type " + name);
    }
}
