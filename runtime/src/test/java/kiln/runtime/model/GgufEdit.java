package kiln.runtime.model;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Test helper: writes a copy of a fixture GGUF with edited metadata and a subset of its tensors. */
public final class GgufEdit {
    private GgufEdit() {}

    public static Path write(Path in, Path out, Consumer<GgufMetadata> edit, Predicate<TensorInfo> keep) {
        return write(in, out, edit, keep, java.util.function.UnaryOperator.identity());
    }

    /** As above, and {@code rename} maps each kept tensor's name to the name it gets in the copy. */
    public static Path write(Path in, Path out, Consumer<GgufMetadata> edit, Predicate<TensorInfo> keep,
                             java.util.function.UnaryOperator<String> rename) {
        return write(in, out, edit, keep, rename, TensorInfo::type);
    }

    /** As above, and {@code retype} gives each tensor's type in the copy (its bytes are truncated to fit). */
    public static Path write(Path in, Path out, Consumer<GgufMetadata> edit, Predicate<TensorInfo> keep,
                             java.util.function.UnaryOperator<String> rename, java.util.function.Function<TensorInfo, kiln.tensor.GgmlType> retype) {
        return write(in, out, edit, keep, rename, retype, (t, data) -> {});
    }

    /** A copy whose tensor data {@code damage} may overwrite (it gets each tensor's bytes in a writable copy). */
    public static Path damage(Path in, Path out, java.util.function.BiConsumer<TensorInfo, java.lang.foreign.MemorySegment> damage) {
        return write(in, out, md -> {}, t -> true, java.util.function.UnaryOperator.identity(), TensorInfo::type, damage);
    }

    private static Path write(Path in, Path out, Consumer<GgufMetadata> edit, Predicate<TensorInfo> keep,
                              java.util.function.UnaryOperator<String> rename, java.util.function.Function<TensorInfo, kiln.tensor.GgmlType> retype,
                              java.util.function.BiConsumer<TensorInfo, java.lang.foreign.MemorySegment> damage) {
        try (GgufFile f = GgufFile.open(in)) {
            GgufMetadata md = f.metadata().copy();
            edit.accept(md);
            List<TensorInfo> kept = new ArrayList<>();
            for (TensorInfo t : f.tensors()) if (keep.test(t)) kept.add(t);
            List<GgufLayout.Entry> entries = new ArrayList<>();
            for (TensorInfo t : kept) entries.add(new GgufLayout.Entry(rename.apply(t.name()), retype.apply(t), t.ne()));
            GgufLayout layout = new GgufLayout(md, entries, f.alignment());
            try (GgufOutput o = GgufOutput.create(out, layout)) {
                for (int i = 0; i < kept.size(); i++) {
                    java.lang.foreign.MemorySegment bytes = f.data(kept.get(i)).asSlice(0, entries.get(i).byteSize());
                    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                        java.lang.foreign.MemorySegment copy = arena.allocate(bytes.byteSize(), 64).copyFrom(bytes);
                        damage.accept(kept.get(i), copy);
                        o.write(i, copy);
                    }
                }
                o.commit();
            }
        }
        return out;
    }
}
