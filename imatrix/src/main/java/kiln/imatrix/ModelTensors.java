package kiln.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an importance matrix must look like for one model: per weight tensor the values per matrix (ne0) and the
 * number of matrices (ne2 of a 3-D tensor: experts, or heads of mainline's attn_k_b/attn_v_b), plus the MLA
 * facts needed to name and size the attention entries.
 */
final class ModelTensors {
    record Shape(long ne0, long nMat) {
        long size() {
            return ne0 * nMat;
        }
    }

    final String fileName;
    final String arch;
    final long contextLength;
    final Map<String, Shape> shapes = new LinkedHashMap<>();
    /** deepseek2 only: heads, kv_lora, k nope part, v head (0 elsewhere). */
    final int nHead, kvLora, nope, dv;
    final boolean ikLayout;
    /** The tool the file was made for ({@link kiln.tensor.codec.Flavor#of}). */
    final kiln.tensor.codec.Flavor madeFor;

    private ModelTensors(Path path) {
        fileName = path.getFileName().toString();
        try (GgufFile f = GgufFile.open(path)) {
            GgufMetadata md = f.metadata();
            arch = md.getString("general.architecture", "?");
            contextLength = md.getLong(arch + ".context_length", 0);
            for (TensorInfo t : f.tensors()) {
                shapes.put(t.name(), new Shape(t.dim(0), t.nDims() >= 3 ? t.dim(2) : 1));
            }
            kiln.tensor.gguf.MlaLayout layout = arch.equals("deepseek2") ? kiln.tensor.gguf.MlaLayout.of(f.tensors()) : null;
            ikLayout = layout == kiln.tensor.gguf.MlaLayout.IK || layout == kiln.tensor.gguf.MlaLayout.LEGACY;
            madeFor = kiln.tensor.codec.Flavor.of(md, f.tensors());
            if (arch.equals("deepseek2")) {
                String a = "deepseek2.";
                nHead = (int) md.getLong(a + "attention.head_count", 0);
                kvLora = (int) md.getLong(a + "attention.kv_lora_rank", 0);
                int rope = (int) md.getLong(a + "rope.dimension_count", 0);
                boolean mainline = md.contains(a + "attention.key_length_mla");
                int dk = (int) md.getLong(a + (mainline ? "attention.key_length_mla" : "attention.key_length"), 0);
                dv = (int) md.getLong(a + (mainline ? "attention.value_length_mla" : "attention.value_length"), 0);
                nope = dk - rope;
            } else {
                nHead = kvLora = nope = dv = 0;
            }
        }
    }

    static ModelTensors of(Path path) {
        return new ModelTensors(path);
    }

    /** Matrices of a tensor the runtime multiplies (1 for a tensor Kiln derives, e.g. attn_kv_b of a mainline file). */
    int nMat(String name) {
        Shape s = shapes.get(name);
        return s == null ? 1 : (int) s.nMat();
    }

    /**
     * The size an entry must have to be used with this model, or -1 when the model has no such tensor (MLA tensors
     * Kiln derives count as present: attn_kv_b is kv_lora wide, 2-D attn_k_b/attn_v_b pool the heads).
     */
    long expectedSize(String name) {
        Shape s = shapes.get(name);
        if (s != null) return s.size();
        if (!arch.equals("deepseek2") || !name.startsWith("blk.")) return -1;
        if (name.endsWith(".attn_kv_b.weight")) return kvLora;
        if (name.endsWith(".attn_k_b.weight")) return ikLayout ? nope : (long) nope * nHead;
        if (name.endsWith(".attn_v_b.weight")) return ikLayout ? kvLora : (long) kvLora * nHead;
        return -1;
    }

    /** Refuses an imatrix entry that does not fit this model (an imatrix of another model). */
    void check(String source, String entry, long size) {
        long want = expectedSize(entry);
        if (want < 0) {
            throw new KilnException(source + ": imatrix entry '" + entry + "' is not a tensor of " + fileName + " (an imatrix of another model?)");
        }
        if (want != size) {
            throw new KilnException(source + ": imatrix entry '" + entry + "' has " + size + " values but " + fileName
                    + " needs " + want + " (an imatrix of another model?)");
        }
    }
}
