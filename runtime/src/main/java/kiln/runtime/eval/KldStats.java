package kiln.runtime.eval;

/** Running sums of llama-perplexity's KL-divergence statistics. */
public final class KldStats {
    double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumPDiff, sumPDiff2;
    float maxPDiff;
    long sameTop, count;

    public long count() {
        return count;
    }

    public double meanKld() {
        return sumKld / count;
    }

    public double meanKldError() {
        double m = meanKld();
        double v = sumKld2 / count - m * m;
        return v > 0 && count > 1 ? Math.sqrt(v / (count - 1)) : 0;
    }

    /** Fraction of positions whose most likely token equals the base model's. */
    public double sameTop() {
        return (double) sameTop / count;
    }

    public double sameTopError() {
        double p = sameTop();
        return count > 1 ? Math.sqrt(p * (1 - p) / (count - 1)) : 0;
    }

    public double pplQ() {
        return Math.exp(sumNll / count);
    }

    public double pplBase() {
        return Math.exp(sumNllBase / count);
    }

    public double maxPDiff() {
        return maxPDiff;
    }

    public double rmsPDiff() {
        return Math.sqrt(sumPDiff2 / count);
    }
}
