package kiln.imatrix;

import kiln.runtime.model.Model;
import kiln.tensor.KilnException;

import java.io.PrintStream;

/**
 * llama-imatrix's compute_imatrix: the text is tokenized with BOS and cut into chunks of {@code chunk} tokens (at
 * least two chunks are needed); each chunk is evaluated from an empty cache, with its first token replaced by BOS;
 * the second half of each chunk is scored for the running perplexity printed after each chunk. ik evaluates one
 * chunk at a time in batches of {@code batch} tokens; mainline evaluates n_batch / n_ctx chunks together as
 * parallel sequences of one batch, in micro-batches holding an equal share of every sequence (split_equal), which
 * fixes the order in which its statistics are summed.
 */
final class CalibrationRun {
    private CalibrationRun() {}

    record Result(int chunks, long tokens, double ppl, double pplErr) {}

    /**
     * @param parallel sequences per evaluation (mainline: n_batch / n_ctx chunks evaluated as parallel sequences of one
     *                 batch, micro-batches of n_ubatch / n_seq tokens of each; 1: chunk after chunk, as ik)
     */
    static Result run(Model m, Collector collector, String text, int chunk, int batch, int chunksWanted, int skip, boolean ppl,
                      boolean allTokensOut, PrintStream log, int parallel,
                      java.util.function.IntConsumer afterChunk) {
        int[] tokens = m.tokenizer().encode(text, true);
        if (skip > 0) {
            if ((long) (skip + 2) * chunk >= tokens.length) {
                throw new KilnException("there will be not enough tokens left after removing " + skip + " chunks (the text has " + tokens.length + ")");
            }
            log.printf("kiln imatrix: removing initial %d chunks (%d tokens)%n", skip, skip * chunk);
            tokens = java.util.Arrays.copyOfRange(tokens, skip * chunk, tokens.length);
        }
        if (tokens.length < 2 * chunk) {
            throw new KilnException("you need at least " + 2 * chunk + " tokens for a context of " + chunk
                    + "; the text tokenizes to only " + tokens.length);
        }
        int nChunkMax = tokens.length / chunk;
        int nChunk = chunksWanted < 0 ? nChunkMax : Math.min(chunksWanted, nChunkMax);
        if (nChunk < 1) throw new KilnException("--chunks " + chunksWanted + " leaves nothing to evaluate");
        int nVocab = m.nVocab();
        int first = chunk / 2;
        log.printf("kiln imatrix: computing over %d chunks, n_ctx=%d, batch_size=%d, n_seq=%d%n", nChunk, chunk, batch, parallel);
        Scores scores = new Scores(ppl, log, nChunk);
        if (parallel > 1) {
            double[] sn = new double[parallel], sn2 = new double[parallel];
            long[] sc = new long[parallel];
            int[] seqIds = new int[parallel * chunk], ubIds = new int[m.ubatch()];
            float[] ubLogits = new float[m.ubatch() * nVocab];
            for (int c0 = 0; c0 < nChunk; c0 += parallel) {
                int ns = Math.min(parallel, nChunk - c0);
                java.util.Arrays.fill(sn, 0);
                java.util.Arrays.fill(sn2, 0);
                java.util.Arrays.fill(sc, 0);
                for (int s = 0; s < ns; s++) {
                    System.arraycopy(tokens, (c0 + s) * chunk, seqIds, s * chunk, chunk);
                    if (m.tokenizer().addsBos()) seqIds[s * chunk] = m.tokenizer().bos();
                }
                int per = Math.max(1, Math.min(chunk, m.ubatch() / ns)); // llama.cpp's split_equal
                for (int done = 0; done < chunk; ) {
                    int cur = Math.min(per, chunk - done);
                    for (int s = 0; s < ns; s++) System.arraycopy(seqIds, s * chunk + done, ubIds, s * cur, cur);
                    collector.nextBatch();
                    m.evaluateParallel(ubIds, 0, ns, cur, done, ubLogits);
                    for (int s = 0; ppl && s < ns; s++) {
                        for (int i = Math.max(first, done); i < Math.min(chunk - 1, done + cur); i++) {
                            double v = -logSoftmax(ubLogits, (s * cur + i - done) * nVocab, nVocab, tokens[(c0 + s) * chunk + i + 1]);
                            sn[s] += v;
                            sn2[s] += v * v;
                            sc[s]++;
                        }
                    }
                    done += cur;
                }
                for (int s = 0; s < ns; s++) { // each sequence's sums joined in chunk order, as if chunk by chunk
                    scores.nll += sn[s];
                    scores.nll2 += sn2[s];
                    scores.count += sc[s];
                    scores.chunkDone(c0 + s, ns);
                }
                afterChunk.accept(c0 + ns); // the statistics hold whole groups: files are written after a group
            }
        } else {
            int ub = Math.min(m.ubatch(), batch);
            float[] logits = new float[chunk * nVocab], part = new float[ub * nVocab];
            int[] ids = new int[chunk];
            for (int c = 0; c < nChunk; c++) {
                System.arraycopy(tokens, c * chunk, ids, 0, chunk);
                if (m.tokenizer().addsBos()) ids[0] = m.tokenizer().bos();
                for (int done = 0; done < chunk; ) {
                    int n = Math.min(ub, Math.min(batch - done % batch, chunk - done));
                    collector.nextBatch();
                    if (ppl || allTokensOut) {
                        m.evaluate(ids, done, n, done, part, true);
                        System.arraycopy(part, 0, logits, done * nVocab, n * nVocab);
                    } else {
                        m.evaluate(ids, done, n, done, part, false);
                    }
                    done += n;
                }
                for (int i = first; ppl && i < chunk - 1; i++) scores.add(-logSoftmax(logits, i * nVocab, nVocab, tokens[c * chunk + i + 1]));
                scores.chunkDone(c, 1);
                afterChunk.accept(c + 1);
            }
        }
        log.println();
        if (!ppl) return new Result(nChunk, (long) nChunk * chunk, Double.NaN, Double.NaN);
        double mean = scores.nll / scores.count, p = Math.exp(mean);
        double var = scores.nll2 / scores.count - mean * mean;
        double err = var > 0 ? Math.sqrt(var / (scores.count - 1)) * p : 0;
        log.printf("Final estimate: PPL = %.4f +/- %.5f%n", p, err);
        return new Result(nChunk, (long) nChunk * chunk, p, err);
    }

    /** The scored tokens' negative log-likelihoods and the progress line llama-imatrix prints after each chunk. */
    private static final class Scores {
        double nll, nll2;
        long count;
        private final boolean ppl;
        private final PrintStream log;
        private final long t0 = System.nanoTime();
        private final int nChunk;

        Scores(boolean ppl, PrintStream log, int nChunk) {
            this.ppl = ppl;
            this.log = log;
            this.nChunk = nChunk;
        }

        void add(double v) {
            nll += v;
            nll2 += v * v;
            count++;
        }

        /** After chunk c (0-based); the first one also reports the time per chunk ({@code chunksDone} evaluated). */
        void chunkDone(int c, int chunksDone) {
            if (c == 0) {
                double s = (System.nanoTime() - t0) / 1e9 / chunksDone;
                log.printf("kiln imatrix: %.2f seconds per pass - ETA %.2f minutes%n", s, s * nChunk / 60.0);
            }
            if (ppl) log.printf("[%d]%.4f,", c + 1, Math.exp(nll / count));
            else log.printf("[%d]", c + 1);
            log.flush();
        }
    }

    /** log p(tok) as llama-imatrix computes it (expf terms summed in double). */
    static double logSoftmax(float[] logits, int off, int n, int tok) {
        float max = logits[off];
        for (int i = 1; i < n; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (float) Math.exp(logits[off + i] - max);
        return logits[off + tok] - max - Math.log(sum);
    }
}
