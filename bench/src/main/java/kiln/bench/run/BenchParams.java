package kiln.bench.run;

/** The run-time parameters of one benchmark instance (one model load). */
public record BenchParams(int threads, int nBatch, int nUbatch, int mla, String typeK, String typeV, boolean flashAttn,
                          boolean repack) {}
