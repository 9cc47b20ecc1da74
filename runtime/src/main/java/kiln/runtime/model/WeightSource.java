package kiln.runtime.model;

import kiln.runtime.kernel.Weight;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

import java.util.Arrays;

/** Looks up the tensors of an opened GGUF as {@link Weight}s, checking shapes and that Kiln can run their type. */
public final class WeightSource {
    private final GgufFile file;
    private final String fileName;

    public WeightSource(GgufFile file) {
        this.file = file;
        this.fileName = file.path().getFileName().toString();
    }

    public GgufFile file() {
        return file;
    }

    public String fileName() {
        return fileName;
    }

    public boolean has(String name) {
        return file.hasTensor(name);
    }

    public TensorInfo info(String name) {
        return file.tensor(name);
    }

    /** A required tensor whose shape must equal {@code ne} (missing trailing dimensions count as 1). */
    public Weight require(String name, long... ne) {
        TensorInfo t = file.tensor(name);
        if (t == null) throw new KilnException(fileName + ": missing tensor '" + name + "' (expected shape " + Arrays.toString(ne) + ")");
        return toWeight(t, ne);
    }

    /** An optional tensor: null when absent, otherwise checked like {@link #require}. */
    public Weight optional(String name, long... ne) {
        TensorInfo t = file.tensor(name);
        return t == null ? null : toWeight(t, ne);
    }

    private Weight toWeight(TensorInfo t, long[] ne) {
        checkShape(t, ne);
        RowCodec codec = codecFor(t.type(), t.name());
        long rows = t.rowCount();
        return new Weight(t.name(), t.type(), codec, file.data(t), rows, (int) t.dim(0));
    }

    public void checkShape(TensorInfo t, long[] ne) {
        int n = Math.max(ne.length, t.nDims());
        for (int i = 0; i < n; i++) {
            long want = i < ne.length ? ne[i] : 1;
            if (t.dim(i) != want) {
                throw new KilnException(fileName + ": tensor '" + t.name() + "' has shape " + t.shapeString() + " but the hyperparameters say "
                        + Arrays.toString(ne) + "; the file's tensors do not match its metadata");
            }
        }
    }

    /** A small f32 vector (norm weights, biases) copied onto the heap. */
    public float[] vector(String name, long n) {
        Weight w = require(name, n);
        float[] v = new float[(int) n];
        float[] group = new float[(int) n * w.interleave()];
        w.dequantizeRow(0, v, 0, group);
        return v;
    }

    public float[] optionalVector(String name, long n) {
        return has(name) ? vector(name, n) : null;
    }

    static RowCodec codecFor(GgmlType type, String tensor) {
        RowCodec c = Codecs.find(type);
        if (c == null) {
            throw new KilnException("Kiln cannot run type " + type.ggmlName() + " (tensor '" + tensor + "'); it runs: " + Codecs.supported());
        }
        return c;
    }
}
