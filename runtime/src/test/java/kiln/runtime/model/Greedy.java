package kiln.runtime.model;

/** Test helper: evaluate a prompt, return last logits, then n greedy tokens. */
final class Greedy {
    private Greedy() {}

    static float[] promptLogits(Model m, int[] prompt) {
        float[] logits = new float[m.nVocab()];
        m.evaluate(prompt, 0, prompt.length, 0, logits, false);
        return logits;
    }

    static int[] continueGreedy(Model m, int[] prompt, float[] logits, int n) {
        int[] out = new int[n];
        int[] one = new int[1];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            out[i] = best;
            one[0] = best;
            if (i + 1 < n) m.evaluate(one, 0, 1, prompt.length + i, logits, false);
        }
        return out;
    }
}
