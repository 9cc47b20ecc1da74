package kiln.runtime.model;

/**
 * Run-time choices: context size, micro-batch, threads, MLA mode (-1 = default 3), cache types, and whether
 * DeepSeek expert groups are honoured when the file describes them.
 */
public record ModelOptions(int nCtx, int ubatch, int threads, int mla, String cacheTypeK, String cacheTypeV) {

    public static ModelOptions defaults() {
        return new ModelOptions(0, 512, Runtime.getRuntime().availableProcessors(), 3, "f16", "f16");
    }

    public ModelOptions withCtx(int c) {
        return new ModelOptions(c, ubatch, threads, mla, cacheTypeK, cacheTypeV);
    }

    public ModelOptions withThreads(int t) {
        return new ModelOptions(nCtx, ubatch, t, mla, cacheTypeK, cacheTypeV);
    }

    public ModelOptions withMla(int m) {
        return new ModelOptions(nCtx, ubatch, threads, m, cacheTypeK, cacheTypeV);
    }

    public ModelOptions withCache(String k, String v) {
        return new ModelOptions(nCtx, ubatch, threads, mla, k, v);
    }

    public ModelOptions withUbatch(int ub) {
        return new ModelOptions(nCtx, ub, threads, mla, cacheTypeK, cacheTypeV);
    }
}
