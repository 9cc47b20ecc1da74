package kiln.cuda.oracle;

/**
 * Scalar oracle of route.cu: per token, gate probabilities (softmax or sigmoid), selection scores with the bias,
 * group-limited eligibility (groups ranked by the sum of their two best scores), top-k with ties to the lower
 * index, weights = probabilities of the chosen, normalized by their sum (clamped at 2^-14) and scaled.
 */
public final class RouterOracle {
    private RouterOracle() {}

    /** ids and weights of ntok tokens, used per token, in choice order. */
    public record Routed(int[] ids, float[] weights) {}

    public static Routed route(float[] logits, int ntok, float[] bias, RouteParams p) {
        int n = p.nExpert(), used = p.used();
        int[] ids = new int[ntok * used];
        float[] w = new float[ntok * used];
        for (int t = 0; t < ntok; t++) {
            float[] probs = new float[n], select = new float[n];
            if (p.sigmoid()) {
                for (int e = 0; e < n; e++) probs[e] = (float) (1 / (1 + Math.exp(-logits[t * n + e])));
            } else {
                System.arraycopy(logits, t * n, probs, 0, n);
                SoftmaxOracle.apply(probs, 1, n, 1f);
            }
            for (int e = 0; e < n; e++) select[e] = bias != null ? probs[e] + bias[e] : probs[e];
            if (p.nGroup() > 1) {
                int per = n / p.nGroup();
                boolean[] kept = new boolean[p.nGroup()];
                float[] score = new float[p.nGroup()];
                for (int g = 0; g < p.nGroup(); g++) {
                    float[] members = java.util.Arrays.copyOfRange(select, g * per, (g + 1) * per);
                    java.util.Arrays.sort(members);
                    score[g] = per >= 2 ? members[per - 1] + members[per - 2] : members[per - 1];
                }
                for (int k = 0; k < p.groupUsed(); k++) {
                    int arg = -1;
                    for (int g = 0; g < p.nGroup(); g++) if (!kept[g] && (arg < 0 || score[g] > score[arg])) arg = g;
                    kept[arg] = true;
                }
                for (int e = 0; e < n; e++) if (!kept[e / per]) select[e] = Float.NEGATIVE_INFINITY;
            }
            boolean[] taken = new boolean[n];
            float sum = 0;
            for (int k = 0; k < used; k++) {
                int arg = -1;
                for (int e = 0; e < n; e++) if (!taken[e] && (arg < 0 || select[e] > select[arg])) arg = e;
                taken[arg] = true;
                ids[t * used + k] = arg;
                w[t * used + k] = probs[arg];
                sum += probs[arg];
            }
            float d = p.normalize() ? Math.max(sum, 6.103515625e-5f) : 1f;
            for (int k = 0; k < used; k++) w[t * used + k] = w[t * used + k] / d * p.scale();
        }
        return new Routed(ids, w);
    }
}
