package kiln.runtime.eval;

/** Outcome of a perplexity run: PPL, its uncertainty, chunks, context, scored tokens, and KLD when compared. */
public record PerplexityResult(double ppl, double pplStderr, int chunks, int nCtx, long scored, int nTokens, double seconds, KldStats kld) {}
