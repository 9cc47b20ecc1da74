package kiln.cuda.place;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;

/** A model as the planner sees it: its shape and its tensors (names, types, sizes; no data). */
public record Inventory(ModelShape shape, List<TensorInfo> tensors) {
    public Inventory {
        tensors = List.copyOf(tensors);
    }

    public static Inventory of(GgufFile f) {
        return of(f.metadata(), f.tensors());
    }

    public static Inventory of(GgufMetadata md, List<TensorInfo> tensors) {
        String a = md.architecture() + ".";
        long vocab = tensors.stream().filter(t -> t.name().equals("token_embd.weight")).mapToLong(t -> t.dim(1)).findFirst().orElse(0);
        long experts = md.getLong(a + "expert_used_count", 0) + md.getLong(a + "expert_shared_count", 0);
        long ffn = Math.max(md.getLong(a + "feed_forward_length", 0), md.getLong(a + "expert_feed_forward_length", 0) * experts);
        return new Inventory(ModelShape.from(md, vocab, ffn), tensors);
    }

    public long totalBytes() {
        return tensors.stream().mapToLong(TensorInfo::byteSize).sum();
    }

    /** The block a tensor belongs to ({@code blk.N.…}), or -1 for the token embeddings and the other global tensors. */
    public static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int dot = name.indexOf('.', 4);
        if (dot < 0) return -1;
        try {
            return Integer.parseInt(name.substring(4, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
