package kiln.convert.source;

import kiln.convert.archive.ArchiveSources;
import kiln.convert.pytorch.PytorchSources;
import kiln.convert.safetensors.SafetensorsFolder;
import kiln.tensor.KilnException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens whatever a user points the converter at: a safetensors folder, a PyTorch folder or a packed archive. */
public final class HfSources {
    private HfSources() {}

    public static HfSource open(Path path) {
        if (!Files.exists(path)) throw new KilnException(path + ": no such file or folder");
        if (Files.isRegularFile(path)) {
            if (ArchiveSources.isArchive(path)) return ArchiveSources.open(path);
            throw new KilnException(path + ": expected a HuggingFace model folder (config.json + weights), a GGUF file or an archive");
        }
        if (!Files.isRegularFile(path.resolve("config.json"))) throw new KilnException(path + ": no config.json in this folder");
        if (SafetensorsFolder.isSafetensorsFolder(path)) return SafetensorsFolder.open(path);
        if (PytorchSources.isPytorchFolder(path) || hasPytorchParts(path)) return PytorchSources.open(path);
        throw new KilnException(path + ": no weights found (model*.safetensors, " + SafetensorsFolder.INDEX + " or pytorch_model*.bin)");
    }

    private static boolean hasPytorchParts(Path folder) {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).anyMatch(n -> n.startsWith("pytorch_model") && n.endsWith(".bin"));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
