package kiln.convert.archive;

import kiln.convert.pytorch.CheckpointFiles;
import kiln.convert.pytorch.FilesSource;
import kiln.convert.pytorch.PytorchShards;
import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Opens a HuggingFace folder packed in a .tar, .tar.gz/.tgz or .zip archive (at the top or inside one top-level
 * folder), streaming, without unpacking to disk. Safetensors weights are preferred when present (as llama.cpp's
 * converter does), else PyTorch {@code .bin} shards.
 */
public final class ArchiveSources {
    private ArchiveSources() {}

    public static boolean isArchive(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".tar") || n.endsWith(".tar.gz") || n.endsWith(".tgz") || n.endsWith(".zip");
    }

    public static HfSource open(Path archive) {
        if (!Files.isRegularFile(archive)) throw new KilnException(archive + ": no such archive");
        String n = archive.getFileName().toString().toLowerCase(Locale.ROOT);
        CheckpointFiles files;
        if (n.endsWith(".zip")) files = new ZipFiles(archive);
        else if (n.endsWith(".tar")) files = new TarFiles(archive);
        else if (n.endsWith(".tar.gz") || n.endsWith(".tgz")) files = new TarGzFiles(archive);
        else throw new KilnException(archive + ": not a .tar, .tar.gz, .tgz or .zip archive");
        return fromFiles(files);
    }

    /** A source over any model files: safetensors shards when there are some, else PyTorch .bin shards. Closes the files on failure. */
    public static HfSource fromFiles(CheckpointFiles files) {
        try {
            List<String> safetensors = SafetensorsShards.shardNames(files);
            List<SourceTensor> tensors;
            if (!safetensors.isEmpty()) {
                tensors = SafetensorsShards.tensors(files, safetensors);
            } else {
                List<String> bins = PytorchShards.shardNames(files);
                if (bins.isEmpty()) throw new KilnException(files.describe() + ": no model*.safetensors or pytorch_model*.bin weights in the model folder");
                tensors = PytorchShards.tensors(files, bins);
            }
            return new FilesSource(files, tensors);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }
}
