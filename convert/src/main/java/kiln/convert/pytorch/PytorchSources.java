package kiln.convert.pytorch;

import kiln.convert.source.HfSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a HuggingFace folder whose weights are PyTorch {@code .bin} files (ZIP + pickle), executing nothing: the
 * pickle is read by {@link StateDictPickle}, which only builds tensor descriptions and refuses anything else.
 */
public final class PytorchSources {
    private PytorchSources() {}

    /** Whether the folder holds PyTorch weights ({@code pytorch_model.bin} or {@code pytorch_model.bin.index.json}). */
    public static boolean isPytorchFolder(Path folder) {
        return Files.exists(folder.resolve("pytorch_model.bin")) || Files.exists(folder.resolve(PytorchShards.INDEX));
    }

    /** Lists the folder's tensors (shards sorted by name, then pickle order); tensor bytes are mapped, read on demand. */
    public static HfSource open(Path folder) {
        FolderFiles files = new FolderFiles(folder);
        try {
            return new FilesSource(files, PytorchShards.tensors(files, PytorchShards.shardNames(files)));
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }
}
