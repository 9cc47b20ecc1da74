package kiln.bench.run;

import java.util.List;

/**
 * One llama-bench test result: the model and parameters it ran with, the test (pp/tg/pg sizes and depth), and the
 * per-repetition times. Speeds are tokens/s over the tokens the test counts (llama-bench's convention: pp counts
 * the prompt, tg the generated tokens, pp+tg both).
 */
public record BenchResult(String modelFile, String modelType, long modelSize, long modelParams, BenchParams params,
                          int nPrompt, int nGen, int nDepth, String testTime, List<Long> samplesNs,
                          double bandwidthGbs, long activeBytesPerToken) {

    public String test() {
        String s;
        if (nPrompt > 0 && nGen == 0) s = "pp" + nPrompt;
        else if (nGen > 0 && nPrompt == 0) s = "tg" + nGen;
        else s = "pp" + nPrompt + "+tg" + nGen;
        return nDepth > 0 ? s + " @ d" + nDepth : s;
    }

    public List<Double> samplesTs() {
        return samplesNs.stream().map(ns -> 1e9 * (nPrompt + nGen) / ns).toList();
    }

    public double avgNs() {
        return samplesNs.stream().mapToLong(Long::longValue).average().orElse(0);
    }

    public double stddevNs() {
        return stddev(samplesNs.stream().map(Long::doubleValue).toList());
    }

    public double avgTs() {
        return samplesTs().stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    public double stddevTs() {
        return stddev(samplesTs());
    }

    /** Generation rows: % of the memory-bandwidth roofline reached (active weight bytes × t/s ÷ bandwidth). */
    public boolean hasRoofline() {
        return nGen > 0 && nPrompt == 0 && bandwidthGbs > 0;
    }

    public double rooflinePct() {
        return 100.0 * activeBytesPerToken * avgTs() / (bandwidthGbs * 1e9);
    }

    static double stddev(List<Double> xs) {
        if (xs.size() <= 1) return 0;
        double mean = xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (xs.size() - 1));
    }
}
