package kiln.runtime.model;

/**
 * Run-time choices: context size (0 = the model's, at most 4096), micro-batch, threads, MLA mode, cache types,
 * and the numerics to reproduce: {@code auto} (the tool the file's layout says made it), {@code mainline}
 * (round activations to ggml's dot-product types and run ggml's f16 flash attention), {@code ik} or
 * {@code f32} (f32 activations and f32 attention).
 */
public record ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV, String numerics, boolean runTimeRepack) {

    public ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV) {
        this(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, "auto", false);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(0, 512, Runtime.getRuntime().availableProcessors(), 3, "f16", "f16", "auto", false);
    }

    /** -rtr: repack tensors to ik's interleaved types at load (through kiln.tensor.repack). */
    public ModelOptions withRunTimeRepack(boolean on) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, on);
    }

    public ModelOptions withNumerics(String n) {
        return new ModelOptions(nCtx, ubatch, threads, mla, cacheTypeK, cacheTypeV, n, runTimeRepack);
    }

    public ModelOptions withCtx(int c) {
        return new ModelOptions(c, ubatch, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack);
    }

    public ModelOptions withThreads(int t) {
        return new ModelOptions(nCtx, ubatch, t, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack);
    }

    public ModelOptions withMla(int m) {
        return new ModelOptions(nCtx, ubatch, threads, m, cacheTypeK, cacheTypeV, numerics, runTimeRepack);
    }

    public ModelOptions withCache(String k, String v) {
        return new ModelOptions(nCtx, ubatch, threads, mla, k, v, numerics, runTimeRepack);
    }

    public ModelOptions withUbatch(int ub) {
        return new ModelOptions(nCtx, ub, threads, mla, cacheTypeK, cacheTypeV, numerics, runTimeRepack);
    }
}
