package kiln.bench.run;

/**
 * The run-time parameters of one benchmark instance (one model load); {@code overrideTensor} is the -ot rules as
 * llama-bench records them ("REGEX=BUFFER,…", "" for none).
 */
public record BenchParams(int threads, int nBatch, int nUbatch, int mla, String typeK, String typeV, boolean flashAttn,
                          boolean repack, int nGpuLayers, String overrideTensor) {}
