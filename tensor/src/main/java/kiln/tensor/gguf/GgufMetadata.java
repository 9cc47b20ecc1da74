package kiln.tensor.gguf;

import kiln.tensor.KilnException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Ordered GGUF key/value metadata. Order is the file order and is kept on write.
 * {@link #put} overwrites in place (the Python writer's behaviour); {@link #setLast} removes and appends
 * (the C writer's {@code gguf_set_val_*} behaviour, spec §1.7).
 */
public final class GgufMetadata {
    private final LinkedHashMap<String, GgufValue> entries = new LinkedHashMap<>();
    private final String source;

    public GgufMetadata() {
        this("<metadata>");
    }

    /** @param source a file name used in error messages */
    public GgufMetadata(String source) {
        this.source = source;
    }

    public GgufMetadata copy() {
        GgufMetadata m = new GgufMetadata(source);
        m.entries.putAll(entries);
        return m;
    }

    /** Adds or overwrites in place (keeps the first insertion position). */
    public GgufMetadata put(String key, GgufValue value) {
        entries.put(key, value);
        return this;
    }

    /** Removes the key if present and appends it at the end, as ggml's C writer does. */
    public GgufMetadata setLast(String key, GgufValue value) {
        entries.remove(key);
        entries.put(key, value);
        return this;
    }

    public GgufValue remove(String key) {
        return entries.remove(key);
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    public GgufValue get(String key) {
        return entries.get(key);
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public Map<String, GgufValue> asMap() {
        return Collections.unmodifiableMap(entries);
    }

    public int size() {
        return entries.size();
    }

    /** The value, which must exist; error names the file and key. */
    public GgufValue require(String key) {
        GgufValue v = entries.get(key);
        if (v == null) throw new KilnException(source + ": missing metadata key '" + key + "'");
        return v;
    }

    public String getString(String key, String dflt) {
        GgufValue v = entries.get(key);
        if (v == null) return dflt;
        if (v.type() != GgufValueType.STRING) throw wrongType(key, v, "str");
        return v.asString();
    }

    public String requireString(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.STRING) throw wrongType(key, v, "str");
        return v.asString();
    }

    public long getLong(String key, long dflt) {
        GgufValue v = entries.get(key);
        if (v == null) return dflt;
        if (v.isArray() || v.type() == GgufValueType.STRING || v.type() == GgufValueType.FLOAT32 || v.type() == GgufValueType.FLOAT64) {
            throw wrongType(key, v, "an integer");
        }
        return v.asLong();
    }

    public long requireLong(String key) {
        require(key);
        return getLong(key, 0);
    }

    public double getDouble(String key, double dflt) {
        GgufValue v = entries.get(key);
        if (v == null) return dflt;
        if (v.isArray() || v.type() == GgufValueType.STRING) throw wrongType(key, v, "a number");
        return v.asDouble();
    }

    public boolean getBool(String key, boolean dflt) {
        GgufValue v = entries.get(key);
        if (v == null) return dflt;
        if (v.type() != GgufValueType.BOOL) throw wrongType(key, v, "bool");
        return v.asBool();
    }

    /** The model architecture ({@code general.architecture}), or null. */
    public String architecture() {
        return getString("general.architecture", null);
    }

    private KilnException wrongType(String key, GgufValue v, String expected) {
        return new KilnException(source + ": metadata key '" + key + "' has type " + v.type().shortName()
                + (v.isArray() ? "[" + v.elementType().shortName() + "]" : "") + ", expected " + expected);
    }
}
