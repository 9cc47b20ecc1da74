package kiln.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Builds small GGUF files with chosen tensors and random data for rule tests. */
final class SyntheticGguf {
    private final GgufMetadata md = new GgufMetadata();
    private final List<GgufLayout.Entry> entries = new ArrayList<>();

    SyntheticGguf() {
        md.put("general.architecture", GgufValue.ofString("llama"));
    }

    SyntheticGguf kv(String key, GgufValue v) {
        md.put(key, v);
        return this;
    }

    SyntheticGguf tensor(String name, GgmlType type, long... ne) {
        entries.add(new GgufLayout.Entry(name, type, ne));
        return this;
    }

    /** Random bytes, except F16/BF16 data kept finite (the values do not matter to repacking). */
    Path write(Path path, long seed) {
        GgufLayout layout = new GgufLayout(md, entries);
        Random rnd = new Random(seed);
        try (GgufOutput out = GgufOutput.create(path, layout)) {
            for (int i = 0; i < entries.size(); i++) {
                TensorInfo t = layout.tensors().get(i);
                byte[] b = new byte[Math.toIntExact(t.byteSize())];
                rnd.nextBytes(b);
                if (t.type() == GgmlType.F16 || t.type() == GgmlType.BF16) for (int j = 1; j < b.length; j += 2) b[j] &= 0x3F;
                out.write(i, MemorySegment.ofArray(b));
            }
            out.commit();
        }
        return path;
    }
}
