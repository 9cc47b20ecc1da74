package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;

import java.util.List;
import java.util.Optional;

/** An {@link HfSource} over checkpoint files whose tensors have been listed; closing releases the files. */
public final class FilesSource implements HfSource {
    private final CheckpointFiles files;
    private final List<SourceTensor> tensors;

    public FilesSource(CheckpointFiles files, List<SourceTensor> tensors) {
        this.files = files;
        this.tensors = List.copyOf(tensors);
    }

    @Override public String describe() { return files.describe(); }
    @Override public Optional<byte[]> file(String name) { return files.read(name); }
    @Override public List<SourceTensor> tensors() { return tensors; }
    @Override public void close() { files.close(); }
}
