package kiln.runtime.cli;

import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by `kiln run` and `kiln perplexity`, named as in llama.cpp / ik_llama.cpp. */
public final class RuntimeOptions {
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-b", "--batch-size"}, description = "logical batch size for prompt evaluation (default 2048)")
    int batch = 2048;

    @Option(names = {"-ub", "--ubatch-size"}, description = "physical (micro-)batch size (default 512)")
    int ubatch = 512;

    @Option(names = {"-mla", "--mla-use"}, description = "DeepSeek MLA mode: 0 = decompress with attn_kv_b, 1/2/3 = absorbed latent cache (default 3)")
    int mla = 3;

    @Option(names = {"-ctk", "--cache-type-k"}, description = "K cache type: f16 (default), q8_0, f32")
    String cacheK = "f16";

    @Option(names = {"-ctv", "--cache-type-v"}, description = "V cache type: f16 (default), q8_0, f32")
    String cacheV = "f16";

    @Option(names = {"-rtr", "--run-time-repack"}, description = "repack weights to ik's interleaved types at load (as ik_llama.cpp -rtr)")
    boolean rtr;

    @Option(names = "--numerics", description = "fast (default: Kiln's own kernels), or the reference arithmetic to reproduce: auto (by the file's layout), mainline, ik; f32 = fast")
    String numerics = "fast";

    @Mixin
    public LlamaCppOptions llamaCpp = new LlamaCppOptions();

    /** Checks every option (before any file is read) and gives the model options. */
    public ModelOptions toModelOptions(int nCtx) {
        llamaCpp.check();
        if (threads < 1) throw new KilnException("-t must be at least 1");
        if (ubatch < 1 || batch < 1) throw new KilnException("-b and -ub must be at least 1");
        if (mla < 0 || mla > 3) throw new KilnException("-mla " + mla + " is not a mode; use 0, 1, 2 or 3");
        if (nCtx < 0) throw new KilnException("-c must not be negative");
        return new ModelOptions(nCtx, Math.min(ubatch, batch), threads, mla, cacheK, cacheV, numerics, rtr)
                .withAttentionMaxBatch(llamaCpp.attentionMaxBatch());
    }
}
