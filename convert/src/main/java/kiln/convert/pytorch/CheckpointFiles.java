package kiln.convert.pytorch;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

/**
 * The files at the top of a HuggingFace model folder, wherever they are stored (a folder, an archive). Weight
 * files come back whole as memory segments (mapped, sliced from a mapped archive, or loaded off-heap); a
 * segment stays valid while it is reachable and these files are open.
 */
public interface CheckpointFiles extends AutoCloseable {
    /** The folder or archive, for messages. */
    String describe();

    /** Names of the regular files at the top of the model folder. */
    List<String> names();

    /** A small file's bytes (config, tokenizer, index), if present. */
    Optional<byte[]> read(String name);

    /** The whole file {@code name}; may block while an archive is read up to it. */
    MemorySegment bytes(String name);

    /** Size in bytes of file {@code name}. */
    default long size(String name) {
        return bytes(name).byteSize();
    }

    /**
     * The leading bytes of safetensors file {@code name} (the u64 length and the JSON header) when getting the
     * whole file would mean decompressing it, as captured while a compressed archive was first read; else empty.
     */
    default Optional<byte[]> safetensorsHead(String name) {
        return Optional.empty();
    }

    @Override
    void close();
}
