package kiln.bench.plot;

/** One measured speed: which run (series label), prompt or generation, at which context depth, in tokens/s. */
public record SpeedPoint(String series, boolean generation, long depth, double tokensPerSecond) {}
