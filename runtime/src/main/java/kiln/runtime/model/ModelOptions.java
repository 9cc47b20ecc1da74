package kiln.runtime.model;

/**
 * Run-time choices: context size (0 = the model's, at most 4096), micro-batch, threads, MLA mode, cache types,
 * and the numerics to reproduce: {@code auto} (the tool the file's layout says made it), {@code mainline}
 * (round activations to ggml's dot-product types and run ggml's f16 flash attention), {@code ik} or
 * {@code f32} (f32 activations and f32 attention); attentionMaxBatch: -amb in MiB, or -1 ({@link #withAttentionMaxBatch}).
 */
public record ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV, String numerics, boolean runTimeRepack,
                           int nSeq, int attentionMaxBatch) {

    public ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV) {
        this(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, "auto", false, 1, -1);
    }

    public ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV, String numerics, boolean runTimeRepack) {
        this(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, 1, -1);
    }

    /**
     * Parallel sequences (llama.cpp's n_seq / streams): a KV cache of nCtx cells for each, so that one micro-batch
     * can hold tokens of several sequences ({@link Model#evaluateParallel}); micro-batches may then hold up to
     * nSeq·nCtx tokens.
     */
    public ModelOptions withSequences(int n) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, n, attentionMaxBatch);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(0, 512, Runtime.getRuntime().availableProcessors(), 3, "f16", "f16", "auto", false, 1, -1);
    }

    /** -rtr: repack tensors to ik's interleaved types at load (through kiln.tensor.repack). */
    public ModelOptions withRunTimeRepack(boolean on) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, on, nSeq, attentionMaxBatch);
    }

    public ModelOptions withNumerics(String n) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, n, runTimeRepack, nSeq, attentionMaxBatch);
    }

    public ModelOptions withCtx(int c) {
        return new ModelOptions(c, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, nSeq, attentionMaxBatch);
    }

    public ModelOptions withThreads(int t) {
        return new ModelOptions(nCtx, ubatch, t, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, nSeq, attentionMaxBatch);
    }

    public ModelOptions withMla(int m) {
        return new ModelOptions(nCtx, ubatch, threads, m, cacheTypeK, cacheTypeV, numerics, runTimeRepack, nSeq, attentionMaxBatch);
    }

    public ModelOptions withCache(String k, String v) {
        return new ModelOptions(nCtx, ubatch, threads, mla, k, v, numerics, runTimeRepack, nSeq, attentionMaxBatch);
    }

    /**
     * -amb N (MiB, as ik_llama.cpp's attention bound): the most heap the -mla 2/3 prompts' decompressed K/V kept
     * across micro-batches may take (0: a quarter of the heap; -1, the default: min(2 GiB, a quarter of the heap)).
     */
    public ModelOptions withAttentionMaxBatch(int mib) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, nSeq, mib);
    }

    public ModelOptions withUbatch(int ub) {
        return new ModelOptions(nCtx, ub, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack, nSeq, attentionMaxBatch);
    }
}
