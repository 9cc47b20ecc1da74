package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.tensor.KilnException;

import java.nio.file.Path;

/** Opens a HuggingFace folder whose weights are PyTorch {@code .bin} files (ZIP + pickle), executing nothing. */
public final class PytorchSources {
    private PytorchSources() {}

    /** Whether the folder holds PyTorch weights ({@code pytorch_model.bin} or {@code pytorch_model.bin.index.json}). */
    public static boolean isPytorchFolder(Path folder) {
        return java.nio.file.Files.exists(folder.resolve("pytorch_model.bin"))
                || java.nio.file.Files.exists(folder.resolve("pytorch_model.bin.index.json"));
    }

    public static HfSource open(Path folder) {
        throw new KilnException(folder + ": PyTorch .bin checkpoints are not supported yet");
    }
}
