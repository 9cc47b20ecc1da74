package kiln.convert.safetensors;

import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file mapped with FFM; {@link SafetensorsHeader} checks every tensor on open.
 */
public final class SafetensorsFile {
    private final Path path;
    private final Map<String, Tensor> tensors;

    /** A tensor of this file: a zero-copy slice of the mapping. */
    public record Tensor(String name, String dtype, long[] shape, MemorySegment data) implements SourceTensor {
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private SafetensorsFile(Path path, Map<String, Tensor> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    /** Maps and validates the file; the mapping lives as long as {@code arena}. */
    public static SafetensorsFile open(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry e : SafetensorsHeader.parse(path.toString(), map, size, Dtypes::size, Dtypes.SUPPORTED)) {
                tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), map.asSlice(e.offset(), e.length())));
            }
            return new SafetensorsFile(path, Collections.unmodifiableMap(tensors));
        } catch (NoSuchFileException e) {
            throw new KilnException(path + ": no such file");
        } catch (IOException e) {
            throw new KilnException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }
}
