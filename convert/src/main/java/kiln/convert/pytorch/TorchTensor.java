package kiln.convert.pytorch;

import kiln.convert.pytorch.PickleValues.TensorRecord;
import kiln.convert.safetensors.Dtypes;
import kiln.convert.source.SourceTensor;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;

/** One tensor of a {@code .bin} shard: a view over a storage of the shard, read when {@link #data()} is called. */
final class TorchTensor implements SourceTensor {
    private final String name;
    private final TensorRecord record;
    private final String shard;
    private final TorchZip zip;
    private final CheckpointFiles files;
    private volatile WeakReference<MemorySegment> last = new WeakReference<>(null);

    TorchTensor(String name, TensorRecord record, String shard, TorchZip zip, CheckpointFiles files) {
        this.name = name;
        this.record = record;
        this.shard = shard;
        this.zip = zip;
        this.files = files;
    }

    @Override public String name() { return name; }
    @Override public String dtype() { return record.storage().dtype(); }
    @Override public long[] shape() { return record.shape().clone(); }

    /**
     * The bytes of the view. A copy (non-contiguous view, compressed storage) is remembered weakly, so a caller that
     * asks again while it still holds the bytes (e.g. once per chunk) gets the same segment instead of a new copy,
     * while nothing here keeps it alive.
     */
    @Override
    public MemorySegment data() {
        MemorySegment cached = last.get();
        if (cached != null) return cached;
        MemorySegment d = read();
        last = new WeakReference<>(d);
        return d;
    }

    private MemorySegment read() {
        int elem = Dtypes.knownSize(dtype());
        long storageBytes = record.storage().numel() * elem;
        MemorySegment storage = zip.storage(files.bytes(shard), record.storage().key(), storageBytes);
        return StridedView.rowMajor(storage, elem, record.offset(), record.shape(), record.stride());
    }

    @Override
    public String toString() {
        return name + " " + dtype() + java.util.Arrays.toString(record.shape()) + " in " + shard;
    }
}
