package kiln.validate;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the compatibility rules need to know about a model: its metadata and its tensor infos (names, types,
 * shapes, in file order). No tensor data, so it can come from an opened file, from a planned layout, or from a
 * recorded inventory.
 *
 * @param source a name for messages (usually the file path)
 */
public record ModelView(String source, GgufMetadata metadata, List<TensorInfo> tensors) {

    public ModelView {
        tensors = List.copyOf(tensors);
    }

    public static ModelView of(GgufFile file) {
        return new ModelView(file.path().toString(), file.metadata(), file.tensors());
    }

    /** Tensors by name, in file order. */
    public Map<String, TensorInfo> byName() {
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (TensorInfo t : tensors) m.put(t.name(), t);
        return Collections.unmodifiableMap(m);
    }

    /** {@code general.architecture}, or null when absent or not a string. */
    public String architecture() {
        var v = metadata.get("general.architecture");
        return v != null && v.type() == kiln.tensor.gguf.GgufValueType.STRING ? v.asString() : null;
    }
}
