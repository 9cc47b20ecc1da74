package kiln.convert.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;

import java.io.IOException;

/**
 * A small JSON file of a model folder (config.json, tokenizer_config.json) with typed, named look-ups: a missing
 * or mistyped required key is a one-line error naming the file and the key.
 */
public final class JsonDoc {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String file;
    private final JsonNode root;

    public JsonDoc(String file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    public static JsonDoc parse(String file, byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) throw new KilnException(file + ": expected a JSON object");
            return new JsonDoc(file, n);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            int i = m.indexOf('\n');
            throw new KilnException(file + ": not valid JSON (" + (i < 0 ? m : m.substring(0, i)) + ")");
        }
    }

    public String file() { return file; }

    public JsonNode root() { return root; }

    /** The node, or null when absent or JSON null. */
    public JsonNode get(String key) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? null : n;
    }

    public boolean has(String key) {
        return get(key) != null;
    }

    public long requireLong(String key) {
        JsonNode n = get(key);
        if (n == null) throw new KilnException(file + ": missing key '" + key + "'");
        if (!n.isIntegralNumber()) throw new KilnException(file + ": key '" + key + "' is " + n + ", expected an integer");
        return n.asLong();
    }

    /** The first of the keys that is present, as an integer. */
    public long requireLong(String... keys) {
        for (String k : keys) if (has(k)) return requireLong(k);
        throw new KilnException(file + ": missing key '" + keys[0] + "'" + (keys.length > 1 ? " (or any of " + String.join(", ", keys) + ")" : ""));
    }

    public Long optLong(String... keys) {
        for (String k : keys) if (has(k)) return requireLong(k);
        return null;
    }

    public double requireDouble(String key) {
        JsonNode n = get(key);
        if (n == null) throw new KilnException(file + ": missing key '" + key + "'");
        if (!n.isNumber()) throw new KilnException(file + ": key '" + key + "' is " + n + ", expected a number");
        return n.asDouble();
    }

    public Double optDouble(String... keys) {
        for (String k : keys) if (has(k)) return requireDouble(k);
        return null;
    }

    public String requireString(String key) {
        JsonNode n = get(key);
        if (n == null) throw new KilnException(file + ": missing key '" + key + "'");
        if (!n.isTextual()) throw new KilnException(file + ": key '" + key + "' is " + n + ", expected a string");
        return n.asText();
    }

    public String optString(String key) {
        JsonNode n = get(key);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** Python truthiness of an optional value (absent, null, false, 0, "" → false). */
    public boolean truthy(String key) {
        JsonNode n = get(key);
        if (n == null) return false;
        if (n.isBoolean()) return n.asBoolean();
        if (n.isNumber()) return n.asDouble() != 0;
        if (n.isTextual()) return !n.asText().isEmpty();
        return n.size() > 0;
    }

    public JsonDoc child(String key) {
        JsonNode n = get(key);
        return n != null && n.isObject() ? new JsonDoc(file + " " + key, n) : null;
    }
}
