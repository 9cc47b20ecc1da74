package kiln.convert.pytorch;

import kiln.convert.pytorch.PickleValues.TensorRecord;
import kiln.convert.safetensors.Dtypes;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Lists the tensors of a model's PyTorch {@code .bin} shards in the order llama.cpp's converter visits them: the
 * shard files {@code pytorch_model*.bin} sorted by name, then each shard's state dict in its own (pickle) order.
 */
public final class PytorchShards {
    public static final String INDEX = "pytorch_model.bin.index.json";

    private PytorchShards() {}

    /** The shard files, sorted by name as the reference converter lists them. */
    public static List<String> shardNames(CheckpointFiles files) {
        return files.names().stream().filter(n -> n.startsWith("pytorch_model") && n.endsWith(".bin")).sorted().toList();
    }

    /** Every tensor of the shards, checked (dtype, bounds within its storage) but not read. */
    public static List<SourceTensor> tensors(CheckpointFiles files, List<String> shards) {
        if (shards.isEmpty()) throw new KilnException(files.describe() + ": no pytorch_model*.bin weights");
        ShardIndex.checkShardsPresent(files, INDEX, shards);
        List<SourceTensor> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String shard : shards) {
            String where = files.describe() + "/" + shard;
            TorchZip zip = TorchZip.open(where, files.bytes(shard));
            for (StateDictPickle.Entry e : StateDictPickle.parse(where, zip.pickle())) {
                check(where, e.name(), e.tensor());
                if (!seen.add(e.name())) throw new KilnException(where + ": tensor '" + e.name() + "' appears in more than one shard");
                out.add(new TorchTensor(e.name(), e.tensor(), shard, zip, files));
            }
        }
        return out;
    }

    private static void check(String where, String name, TensorRecord t) {
        String dtype = t.storage().dtype();
        if (Dtypes.knownSize(dtype) < 0) throw new KilnException(where + ": tensor '" + name + "' has unsupported dtype " + dtype);
        try {
            long numel = StridedView.numel(t.shape());
            long extent = StridedView.extent(t.offset(), t.shape(), t.stride());
            Math.multiplyExact(t.storage().numel(), (long) Dtypes.knownSize(dtype));
            if (numel > 0 && extent > t.storage().numel()) {
                throw new KilnException(where + ": tensor '" + name + "' reaches element " + extent + " of a storage of "
                        + t.storage().numel() + " (data/" + t.storage().key() + ")");
            }
        } catch (ArithmeticException ex) {
            throw new KilnException(where + ": tensor '" + name + "' has a size that overflows", ex);
        }
    }
}
