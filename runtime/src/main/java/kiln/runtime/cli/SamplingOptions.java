package kiln.runtime.cli;

import kiln.runtime.sample.Sampler;
import kiln.tensor.KilnException;
import picocli.CommandLine.Option;

/** The sampler's options, as llama.cpp spells them (a picocli mixin of `run` and `chat`), and their range checks. */
public final class SamplingOptions {
    @Option(names = "--temp", description = "temperature (default 0.8; 0 = greedy)")
    float temp = 0.8f;

    @Option(names = "--top-k", description = "top-k (default 40, 0 = off)")
    int topK = 40;

    @Option(names = "--top-p", description = "top-p (default 0.95, 1 = off)")
    float topP = 0.95f;

    @Option(names = "--min-p", description = "min-p (default 0.05, 0 = off)")
    float minP = 0.05f;

    @Option(names = {"-s", "--seed"}, description = "random seed (default: random)")
    long seed = -1;

    /** Refuses values llama.cpp's sampler has no meaning for (call before the model is loaded). */
    public void check() {
        if (!Float.isFinite(temp) || temp < 0) throw new KilnException("--temp " + temp + " is not a temperature; expected a number ≥ 0 (0 = greedy)");
        if (topK < 0) throw new KilnException("--top-k " + topK + " is negative; expected 0 (off) or more");
        if (!(topP >= 0 && topP <= 1)) throw new KilnException("--top-p " + topP + " is outside 0 … 1 (1 = off)");
        if (!(minP >= 0 && minP <= 1)) throw new KilnException("--min-p " + minP + " is outside 0 … 1 (0 = off)");
    }

    /** A sampler over nVocab tokens with these settings (a random seed unless -s was given). */
    public Sampler sampler(int nVocab) {
        return new Sampler(nVocab, temp, topK, topP, minP, seed == -1 ? System.nanoTime() : seed);
    }
}
