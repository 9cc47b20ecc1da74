package kiln.cuda.place;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;

/**
 * What the plan needs of a model besides its tensors: the block count and the sizes that fix the cache and the
 * activations. MLA models (deepseek2 with kv_lora_rank) keep ik's latent cache c^KV with {@code -mla 1/2/3}:
 * kv_lora_rank + n_rot values per token and layer (the K cache type), no V cache (flash attention is always on in
 * Kiln); otherwise K = head_count_kv × key_length and V = head_count_kv × value_length values.
 */
public record ModelShape(String arch, int nLayer, long nCtxTrain, long nEmbd, long nHead, long nHeadKv, long headK, long headV,
                         long kvLoraRank, long nRot, long nVocab, long ffnWidth) {

    public boolean hasMla() {
        return kvLoraRank > 0;
    }

    public static ModelShape from(GgufMetadata md, long nVocab, long ffnWidth) {
        String a = md.architecture() + ".";
        long nLayer = md.requireLong(a + "block_count");
        if (nLayer < 1 || nLayer > 10_000) throw new KilnException(a + "block_count " + nLayer + " is not a layer count");
        long nEmbd = md.requireLong(a + "embedding_length");
        long nHead = md.requireLong(a + "attention.head_count");
        long nHeadKv = md.getLong(a + "attention.head_count_kv", nHead);
        long headK = md.getLong(a + "attention.key_length", nEmbd / Math.max(1, nHead));
        long headV = md.getLong(a + "attention.value_length", headK);
        long rot = md.getLong(a + "rope.dimension_count", headK);
        return new ModelShape(md.architecture(), (int) nLayer, md.getLong(a + "context_length", 0), nEmbd, nHead, nHeadKv, headK, headV,
                md.getLong(a + "attention.kv_lora_rank", 0), rot, nVocab, ffnWidth);
    }

    /** Cache bytes of one layer for nCtx tokens. */
    public long cacheBytesPerLayer(long nCtx, GgmlType typeK, GgmlType typeV, int mla) {
        if (hasMla() && mla > 0) return nCtx * typeK.rowSize(kvLoraRank + nRot);
        return nCtx * (typeK.rowSize(nHeadKv * headK) + typeV.rowSize(nHeadKv * headV));
    }

    /** The K part alone (for the "c^KV" or "K" figure of the summary line). */
    public long cacheKBytesPerLayer(long nCtx, GgmlType typeK, int mla) {
        if (hasMla() && mla > 0) return nCtx * typeK.rowSize(kvLoraRank + nRot);
        return nCtx * typeK.rowSize(nHeadKv * headK);
    }
}
