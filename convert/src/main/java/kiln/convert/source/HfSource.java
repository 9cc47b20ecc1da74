package kiln.convert.source;

import java.util.List;
import java.util.Optional;

/**
 * A HuggingFace model as the converter sees it, whatever it is stored in: a folder of safetensors shards,
 * PyTorch {@code .bin} shards, or a packed archive of either. Everything after reading is shared.
 */
public interface HfSource extends AutoCloseable {
    /** What this is, for messages (a folder or archive path). */
    String describe();

    /** A small file of the model folder by its name relative to the folder ("config.json", "tokenizer.json"), if present. */
    Optional<byte[]> file(String name);

    /** Every weight tensor, in the order the reference converter visits them (index/shard order, then file order). */
    List<SourceTensor> tensors();

    @Override
    void close();
}
