package kiln.bench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A benchmark grid: {@code {"models": [paths], "configs": [{"name": "mla3", "args": ["-mla", "3"]}, ...],
 * "bench": ["-p", "512", "-n", "128"]}}. A config's args are {@code kiln bench} options and come after
 * {@code bench}, so they override it. Relative model paths are resolved against the matrix file's folder.
 */
public record MatrixSpec(List<String> models, List<Config> configs, List<String> bench) {

    public record Config(String name, List<String> args) {}

    public static MatrixSpec read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new KilnException(file + ": not a readable JSON matrix: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw new KilnException(file + ": the matrix must be a JSON object");
        List<String> models = new ArrayList<>();
        JsonNode m = root.get("models");
        if (m == null || !m.isArray() || m.isEmpty()) throw new KilnException(file + ": \"models\" must be a non-empty list of GGUF paths");
        Path base = file.toAbsolutePath().getParent();
        for (JsonNode n : m) models.add(base.resolve(text(file, n, "models[]")).normalize().toString());
        List<Config> configs = new ArrayList<>();
        JsonNode c = root.get("configs");
        if (c == null) {
            configs.add(new Config("default", List.of()));
        } else {
            if (!c.isArray() || c.isEmpty()) throw new KilnException(file + ": \"configs\" must be a non-empty list");
            Set<String> names = new HashSet<>();
            for (JsonNode n : c) {
                String name = text(file, n.get("name"), "configs[].name");
                if (!names.add(name)) throw new KilnException(file + ": duplicate config name '" + name + "'");
                configs.add(new Config(name, strings(file, n.get("args"), "configs[" + name + "].args")));
            }
        }
        return new MatrixSpec(List.copyOf(models), List.copyOf(configs), strings(file, root.get("bench"), "bench"));
    }

    private static String text(Path file, JsonNode n, String where) {
        if (n == null || !n.isTextual() || n.asText().isEmpty()) throw new KilnException(file + ": " + where + " must be a non-empty string");
        return n.asText();
    }

    private static List<String> strings(Path file, JsonNode n, String where) {
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (!n.isArray()) throw new KilnException(file + ": " + where + " must be a list of strings");
        for (JsonNode e : n) {
            if (!e.isValueNode()) throw new KilnException(file + ": " + where + " must be a list of strings");
            out.add(e.asText());
        }
        return out;
    }
}
