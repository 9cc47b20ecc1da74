package kiln.tensor.gguf;

import java.nio.file.Path;

/** Rewrites an opened GGUF file through the library: same metadata, same tensors, same bytes. */
public final class GgufCopy {
    private GgufCopy() {}

    /** Writes {@code in} (all shards merged, metadata of the first) to {@code out} atomically. */
    public static void copy(GgufFile in, Path out) {
        GgufLayout layout = new GgufLayout(in.metadata(), GgufLayout.entriesOf(in.tensors()), in.alignment());
        try (GgufOutput o = GgufOutput.create(out, layout)) {
            for (int i = 0; i < in.tensors().size(); i++) o.write(i, in.data(in.tensors().get(i)));
            o.commit();
        }
    }
}
