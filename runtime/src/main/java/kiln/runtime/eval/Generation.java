package kiln.runtime.eval;

import kiln.runtime.model.Model;
import kiln.runtime.sample.Sampler;
import kiln.tensor.KilnException;

import java.util.function.IntConsumer;

/** Prompt evaluation in batches of n_batch, then token-by-token generation; records llama.cpp-like timings. */
public final class Generation {
    public record Result(int[] prompt, int[] generated, double promptMs, double genMs, boolean stoppedAtContext) {}

    private Generation() {}

    /**
     * @param onToken called with each generated token id as soon as it is chosen (for streaming)
     */
    public static Result run(Model m, int[] prompt, int nPredict, int nBatch, Sampler sampler, boolean ignoreEos, IntConsumer onToken) {
        if (prompt.length == 0) throw new KilnException("the prompt is empty");
        if (prompt.length > m.nCtx()) {
            throw new KilnException("the prompt is " + prompt.length + " tokens long but the context is " + m.nCtx() + " (use a larger -c)");
        }
        float[] logits = new float[m.nVocab()];
        long t0 = System.nanoTime();
        int b = Math.max(1, nBatch);
        for (int done = 0; done < prompt.length; done += b) {
            FiniteLogits.evaluate(m, prompt, done, Math.min(b, prompt.length - done), done, logits, false);
        }
        long t1 = System.nanoTime();
        int limit = nPredict < 0 ? Integer.MAX_VALUE : nPredict;
        int[] out = new int[Math.min(limit, m.nCtx() - prompt.length + 1)];
        int n = 0;
        int[] one = new int[1];
        int pos = prompt.length;
        boolean ctxFull = false;
        while (n < limit) {
            int tok = sampler.sample(logits);
            if (!ignoreEos && m.tokenizer().isEog(tok)) break;
            if (n == out.length) out = java.util.Arrays.copyOf(out, out.length * 2);
            out[n++] = tok;
            if (onToken != null) onToken.accept(tok);
            if (n >= limit) break;
            if (pos >= m.nCtx()) {
                ctxFull = true;
                break;
            }
            one[0] = tok;
            FiniteLogits.evaluate(m, one, 0, 1, pos++, logits, false);
        }
        long t2 = System.nanoTime();
        return new Result(prompt, java.util.Arrays.copyOf(out, n), (t1 - t0) / 1e6, (t2 - t1) / 1e6, ctxFull);
    }
}
