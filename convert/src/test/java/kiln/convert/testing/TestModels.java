package kiln.convert.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.convert.safetensors.SafetensorsFile;
import kiln.tensor.testing.Fixtures;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Copies of the tiny-llama fixture with one thing broken, for bad-input tests. */
public final class TestModels {
    private TestModels() {}

    /** Copies tiny-llama/hf's small files into {@code dir}. */
    public static void copySmallFiles(Path dir) throws IOException {
        Path src = Fixtures.file("tiny-llama/hf");
        Files.createDirectories(dir);
        for (String f : new String[]{"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
    }

    /** tiny-llama with its weights rewritten through {@code edit} (which may add, drop or change tensors). */
    public static Path llama(Path dir, Predicate<String> keep, Consumer<SafetensorsWriter> extra) throws IOException {
        return llama(dir, keep, extra, (name, bytes) -> {});
    }

    /** tiny-llama with the bytes of its tensors passed through {@code damage} (name, bytes to change in place). */
    public static Path damaged(Path dir, java.util.function.BiConsumer<String, byte[]> damage) throws IOException {
        return llama(dir, n -> true, w -> {}, damage);
    }

    private static Path llama(Path dir, Predicate<String> keep, Consumer<SafetensorsWriter> extra,
                              java.util.function.BiConsumer<String, byte[]> damage) throws IOException {
        copySmallFiles(dir);
        SafetensorsWriter w = new SafetensorsWriter();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(Fixtures.file("tiny-llama/hf/model.safetensors"), arena);
            for (var t : f.tensors().values()) {
                if (!keep.test(t.name())) continue;
                byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
                damage.accept(t.name(), bytes);
                w.add(t.name(), t.dtype(), t.shape(), bytes);
            }
            extra.accept(w);
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    public static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode c = (ObjectNode) om.readTree(dir.resolve("config.json").toFile());
        edit.accept(c);
        om.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
    }
}
