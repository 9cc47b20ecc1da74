package kiln.runtime.model;

/**
 * DeepSeek expert routing for one token: softmax or sigmoid gate probabilities, optional selection bias
 * (exp_probs_b), optional group-limited selection (top groups by the sum of their two best experts, as HF and
 * mainline llama.cpp do), top-k, optional normalization of the chosen weights, then the routed scaling factor.
 */
final class Router {
    static final int GATING_SOFTMAX = 1, GATING_SIGMOID = 2;

    private final int nExpert, used, nGroup, groupUsed, gating;
    private final boolean normalize;
    private final float scale;
    private final float[] probs, select, groupScore;
    private final boolean[] groupKept;
    /**
     * ik_llama.cpp's routing arithmetic: selection by its AVX2 sigmoid (+ bias), ties to the higher expert index;
     * weights by glibc's expf sigmoid, normalized by multiplying with the reciprocal of their float sum.
     */
    private final boolean ik;

    /** Routing with ik_llama.cpp's arithmetic when {@code ik} (the model's numerics), else mainline's (and Kiln's). */
    Router(int nExpert, int used, int nGroup, int groupUsed, int gating, boolean normalize, float scale, boolean ik) {
        this.ik = ik;
        this.nExpert = nExpert;
        this.used = used;
        this.nGroup = nGroup;
        this.groupUsed = groupUsed;
        this.gating = gating;
        this.normalize = normalize;
        this.scale = scale;
        probs = new float[nExpert];
        select = new float[nExpert];
        groupScore = new float[Math.max(1, nGroup)];
        groupKept = new boolean[Math.max(1, nGroup)];
    }

    /** Chooses experts for router logits[lo..lo+nExpert): ids into ids[io..io+used), weights into w[io..]. */
    void route(float[] logits, int lo, float[] bias, int[] ids, float[] w, int io) {
        System.arraycopy(logits, lo, probs, 0, nExpert);
        if (gating == GATING_SIGMOID && ik) {
            for (int e = 0; e < nExpert; e++) {
                float s = kiln.runtime.kernel.GgmlMath.sigmoid256(probs[e]);
                select[e] = bias != null ? s + bias[e] : s;
                probs[e] = Ops.sigmoid(probs[e]);
            }
        } else {
            if (gating == GATING_SIGMOID) {
                for (int e = 0; e < nExpert; e++) probs[e] = Ops.sigmoid(probs[e]);
            } else {
                Ops.softmax(probs, 0, nExpert);
            }
            for (int e = 0; e < nExpert; e++) select[e] = bias != null ? probs[e] + bias[e] : probs[e];
        }
        if (nGroup > 1) {
            int per = nExpert / nGroup;
            for (int g = 0; g < nGroup; g++) {
                float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
                for (int e = g * per; e < (g + 1) * per; e++) {
                    float v = select[e];
                    if (v > best) {
                        second = best;
                        best = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                groupScore[g] = per >= 2 ? best + second : best;
                groupKept[g] = false;
            }
            for (int k = 0; k < groupUsed; k++) {
                int arg = -1;
                for (int g = 0; g < nGroup; g++) if (!groupKept[g] && (arg < 0 || groupScore[g] > groupScore[arg])) arg = g;
                groupKept[arg] = true;
            }
            for (int e = 0; e < nExpert; e++) if (!groupKept[e / per]) select[e] = Float.NEGATIVE_INFINITY;
        }
        double sum = 0;
        for (int k = 0; k < used; k++) {
            int arg = -1;
            for (int e = 0; e < nExpert; e++) {
                if (arg < 0 || select[e] > select[arg] || (ik && select[e] == select[arg])) {
                    boolean taken = false;
                    for (int j = 0; j < k; j++) taken |= ids[io + j] == e;
                    if (!taken) arg = e;
                }
            }
            ids[io + k] = arg;
            w[io + k] = probs[arg];
            sum += probs[arg];
        }
        if (normalize && ik) {
            float fs = 0f;
            for (int k = 0; k < used; k++) fs += w[io + k];
            float inv = fs > 0 ? 1.0f / fs : 0f;
            for (int k = 0; k < used; k++) w[io + k] *= inv;
        } else if (normalize) {
            float d = Math.max((float) sum, 6.103515625e-5f);
            for (int k = 0; k < used; k++) w[io + k] /= d;
        }
        for (int k = 0; k < used; k++) w[io + k] *= scale;
    }
}
