package kiln.convert.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A HuggingFace folder of safetensors weights: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Tensors come in the reference converter's order: parts sorted by
 * file name, names sorted within each part. The index and the shards must name exactly the same tensors.
 */
public final class SafetensorsFolder implements HfSource {
    public static final String INDEX = "model.safetensors.index.json";

    private final Path folder;
    private final Arena arena;
    private final List<SourceTensor> tensors;

    private SafetensorsFolder(Path folder, Arena arena, List<SourceTensor> tensors) {
        this.folder = folder;
        this.arena = arena;
        this.tensors = Collections.unmodifiableList(tensors);
    }

    /** Whether the folder holds safetensors weights. */
    public static boolean isSafetensorsFolder(Path folder) {
        return Files.exists(folder.resolve(INDEX)) || !partsByName(folder).isEmpty();
    }

    public static SafetensorsFolder open(Path folder) {
        Arena arena = Arena.ofShared();
        try {
            Path index = folder.resolve(INDEX);
            Set<String> indexNames = null;
            List<String> parts;
            if (Files.exists(index)) {
                JsonNode root = readJson(index);
                JsonNode wm = root.get("weight_map");
                if (wm == null || !wm.isObject()) throw new KilnException(index + ": missing 'weight_map' object");
                indexNames = new HashSet<>();
                TreeSet<String> files = new TreeSet<>();
                for (Map.Entry<String, JsonNode> e : wm.properties()) {
                    if (!e.getValue().isTextual()) throw new KilnException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
                    indexNames.add(e.getKey());
                    files.add(e.getValue().asText());
                }
                for (String f : files) {
                    if (!Files.exists(folder.resolve(f))) {
                        String example = wm.properties().stream().filter(e -> e.getValue().asText().equals(f)).map(Map.Entry::getKey).findFirst().orElse("?");
                        throw new KilnException(folder.resolve(f) + ": shard named in " + INDEX + " (for tensor '" + example + "') is missing");
                    }
                }
                parts = new ArrayList<>(files);
            } else {
                parts = partsByName(folder);
                if (parts.isEmpty()) throw new KilnException(folder + ": no model*.safetensors files and no " + INDEX);
            }
            List<SourceTensor> all = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String part : parts) {
                SafetensorsFile f = SafetensorsFile.open(folder.resolve(part), arena);
                List<String> names = new ArrayList<>(f.tensors().keySet());
                Collections.sort(names);
                for (String n : names) {
                    if (!seen.add(n)) throw new KilnException(folder.resolve(part) + ": tensor '" + n + "' appears in two shards");
                    if (indexNames != null && !indexNames.contains(n)) {
                        throw new KilnException(folder.resolve(part) + ": tensor '" + n + "' is not listed in " + INDEX);
                    }
                    all.add(f.tensors().get(n));
                }
            }
            if (indexNames != null) {
                for (String n : new TreeSet<>(indexNames)) {
                    if (!seen.contains(n)) throw new KilnException(index + ": tensor '" + n + "' is listed but not found in its shard");
                }
            }
            return new SafetensorsFolder(folder, arena, all);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static List<String> partsByName(Path folder) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith("model") && n.endsWith(".safetensors")) out.add(n);
            }
        } catch (IOException e) {
            return out;
        }
        Collections.sort(out);
        return out;
    }

    static JsonNode readJson(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            int i = m.indexOf('\n');
            throw new KilnException(p + ": not valid JSON (" + (i < 0 ? m : m.substring(0, i)) + ")");
        }
    }

    @Override
    public String describe() {
        return folder.toString();
    }

    @Override
    public Optional<byte[]> file(String name) {
        Path p = folder.resolve(name);
        if (!Files.isRegularFile(p)) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new KilnException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public List<SourceTensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        arena.close();
    }
}
