package kiln.quantize;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A split GGUF input made from a fixture model (deterministic, so ik's llama-quantize can be run on the same
 * files): the tensors in file order cut into {@code shards} files of nearly equal tensor counts,
 * {@code PREFIX-0000i-of-0000N.gguf}; the first file carries the model's metadata, every file ends with
 * {@code split.no} (u16), {@code split.count} (u16) and {@code split.tensors.count} (i32).
 * {@code main(IN, PREFIX, N)} writes one for the reference runs.
 */
final class SplitInput {
    private SplitInput() {}

    static Path write(Path in, String prefix, int shards) {
        try (GgufFile f = GgufFile.open(in)) {
            List<TensorInfo> ts = f.tensors();
            int n = ts.size();
            Path first = null;
            for (int s = 0; s < shards; s++) {
                int from = s * n / shards, to = (s + 1) * n / shards;
                GgufMetadata md = s == 0 ? f.metadata().copy() : new GgufMetadata();
                md.put("split.no", GgufValue.ofU16((short) s));
                md.put("split.count", GgufValue.ofU16((short) shards));
                md.put("split.tensors.count", GgufValue.ofI32(n));
                List<GgufLayout.Entry> entries = new ArrayList<>();
                for (TensorInfo t : ts.subList(from, to)) entries.add(new GgufLayout.Entry(t.name(), t.type(), t.ne()));
                Path p = Path.of(String.format("%s-%05d-of-%05d.gguf", prefix, s + 1, shards));
                try (GgufOutput out = GgufOutput.create(p, new GgufLayout(md, entries))) {
                    for (int i = from; i < to; i++) out.write(i - from, f.data(ts.get(i)));
                    out.commit();
                }
                if (s == 0) first = p;
            }
            return first;
        }
    }

    public static void main(String[] args) {
        System.out.println(write(Path.of(args[0]), args[1], Integer.parseInt(args[2])));
    }
}
