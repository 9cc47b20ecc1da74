package kiln.bench.run;

import kiln.runtime.model.Model;

import java.util.SplittableRandom;

/**
 * Timed evaluation primitives shared by {@code kiln bench} and {@code kiln sweep-bench}: random tokens as the
 * reference tools use, prompt batches of up to n_batch tokens (logits only for the last), single-token generation.
 * Evaluating at a position overwrites the cache from there on, which is how both tools rewind.
 */
final class ModelRunner {
    private final Model model;
    private final int nBatch;
    private final SplittableRandom rnd;
    private final float[] logits;
    private final int[] one = new int[1];

    ModelRunner(Model model, int nBatch, long seed) {
        this.model = model;
        this.nBatch = Math.max(1, nBatch);
        this.rnd = new SplittableRandom(seed);
        this.logits = new float[model.nVocab()];
    }

    int[] randomTokens(int n, boolean bosFirst) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(model.nVocab());
        if (bosFirst && n > 0 && model.tokenizer().addsBos()) t[0] = model.tokenizer().bos();
        return t;
    }

    /** Decodes a prompt at positions pos0.. in n_batch chunks; returns nanoseconds. */
    long prompt(int[] tokens, int pos0) {
        long t0 = System.nanoTime();
        for (int done = 0; done < tokens.length; ) {
            int n = Math.min(nBatch, tokens.length - done);
            model.evaluate(tokens, done, n, pos0 + done, logits, false);
            done += n;
        }
        return System.nanoTime() - t0;
    }

    /** Generates n tokens one at a time at positions pos0.. (random tokens, as llama-bench); returns nanoseconds. */
    long generate(int n, int pos0) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            one[0] = rnd.nextInt(model.nVocab());
            model.evaluate(one, 0, 1, pos0 + i, logits, false);
        }
        return System.nanoTime() - t0;
    }
}
