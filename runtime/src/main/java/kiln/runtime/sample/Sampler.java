package kiln.runtime.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Token sampling in llama.cpp's default order: top-k, top-p, min-p, temperature, then a draw from the
 * distribution; greedy (argmax) when the temperature is ≤ 0. Candidate arrays are allocated once.
 * The random sequence is Kiln's own (SplittableRandom), so a seed reproduces Kiln's runs, not llama.cpp's.
 */
public final class Sampler {
    private final float temp, topP, minP;
    private final int topK;
    private final SplittableRandom rng;
    private final long[] keys;
    private final float[] probs;

    public Sampler(int nVocab, float temp, int topK, float topP, float minP, long seed) {
        this.temp = temp;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.rng = new SplittableRandom(seed);
        this.keys = new long[nVocab];
        this.probs = new float[nVocab];
    }

    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public int sample(float[] logits) {
        int n = keys.length;
        if (temp <= 0) return argmax(logits, n);
        // sort candidates by logit, descending: key = order-preserving bits of -logit, index in the low bits
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(-logits[i]);
            int sortable = b >= 0 ? b : b ^ 0x7FFFFFFF;
            keys[i] = ((long) sortable << 32) | (i & 0xFFFFFFFFL);
        }
        Arrays.sort(keys);
        int m = topK > 0 ? Math.min(topK, n) : n;
        // softmax over the kept candidates (unscaled) for top-p / min-p, as llama.cpp's samplers do
        float max = logits[idx(0)];
        double sum = 0;
        for (int i = 0; i < m; i++) {
            probs[i] = (float) Math.exp(logits[idx(i)] - max);
            sum += probs[i];
        }
        if (topP < 1.0f) {
            double cum = 0;
            int keep = m;
            for (int i = 0; i < m; i++) {
                cum += probs[i] / sum;
                if (cum >= topP) {
                    keep = i + 1;
                    break;
                }
            }
            m = keep;
        }
        if (minP > 0.0f) {
            int keep = 1;
            for (int i = 1; i < m; i++) if (probs[i] >= minP * probs[0]) keep = i + 1;
            m = keep;
        }
        sum = 0;
        for (int i = 0; i < m; i++) {
            probs[i] = (float) Math.exp((logits[idx(i)] - max) / temp);
            sum += probs[i];
        }
        double r = rng.nextDouble() * sum;
        for (int i = 0; i < m; i++) {
            r -= probs[i];
            if (r <= 0) return idx(i);
        }
        return idx(m - 1);
    }

    private int idx(int i) {
        return (int) keys[i];
    }
}
