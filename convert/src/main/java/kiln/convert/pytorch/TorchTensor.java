package kiln.convert.pytorch;

import kiln.convert.pytorch.PickleValues.TensorRecord;
import kiln.convert.source.SourceTensor;

import java.lang.foreign.MemorySegment;

/** One tensor of a {@code .bin} shard: a view over a storage of the shard, read when {@link #data()} is called. */
final class TorchTensor implements SourceTensor {
    private final String name;
    private final TensorRecord record;
    private final String shard;
    private final TorchZip zip;
    private final CheckpointFiles files;

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

    long[] stride() { return record.stride().clone(); }

    long storageOffset() { return record.offset(); }

    String storageKey() { return record.storage().key(); }

    @Override
    public MemorySegment data() {
        int elem = TorchDtypes.size(dtype());
        long storageBytes = record.storage().numel() * elem;
        MemorySegment storage = zip.storage(files.bytes(shard), record.storage().key(), storageBytes);
        return StridedView.rowMajor(storage, elem, record.offset(), record.shape(), record.stride());
    }

    @Override
    public String toString() {
        return name + " " + dtype() + java.util.Arrays.toString(record.shape()) + " in " + shard;
    }
}
