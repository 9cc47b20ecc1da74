package kiln.quantize;

import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.util.List;

/**
 * The hyper-parameters llama-quantize's rules look at, read from the input's metadata: architecture, layer count,
 * expert count, heads (for n_gqa), vocabulary size, whether an {@code output.weight} exists, and the model-size
 * class of a Llama (70B/8B rules).
 */
public record ModelFacts(String arch, int nLayer, int nExpert, int nHead, int nHeadKv, long nVocab, boolean hasOutput,
                         boolean is70B, boolean is8B) {

    public static ModelFacts of(GgufMetadata md, List<TensorInfo> tensors) {
        String arch = md.getString("general.architecture", "");
        int nLayer = (int) md.getLong(arch + ".block_count", 0);
        int nExpert = (int) md.getLong(arch + ".expert_count", 0);
        int nHead = (int) first(md, arch + ".attention.head_count", 0);
        int nHeadKv = (int) first(md, arch + ".attention.head_count_kv", nHead);
        long nVocab = md.getLong(arch + ".vocab_size", -1);
        if (nVocab < 0) {
            GgufValue tok = md.get("tokenizer.ggml.tokens");
            nVocab = tok != null && tok.isArray() ? tok.length() : 0;
        }
        boolean hasOutput = tensors.stream().anyMatch(t -> t.name().equals("output.weight"));
        boolean llama = arch.equals("llama");
        boolean is70B = llama && nLayer == 80 && nHead != nHeadKv;
        boolean is8B = llama && ((nLayer == 32 && nVocab >= 40000 && nVocab != 49152) || nLayer == 36);
        return new ModelFacts(arch, nLayer, nExpert, nHead, nHeadKv, nVocab, hasOutput, is70B, is8B);
    }

    private static long first(GgufMetadata md, String key, long dflt) {
        GgufValue v = md.get(key);
        if (v == null) return dflt;
        if (v.isArray()) return v.length() == 0 ? dflt : v.longAt(0);
        return v.asLong();
    }

    /** n_head / n_head_kv of layer 0 (0 when n_head_kv is 0). */
    public int nGqa() {
        return nHeadKv == 0 ? 0 : nHead / nHeadKv;
    }
}
