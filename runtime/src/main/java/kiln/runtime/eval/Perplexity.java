package kiln.runtime.eval;

import kiln.runtime.model.Model;
import kiln.tensor.KilnException;
import kiln.tensor.io.PendingOutput;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.function.IntConsumer;

/**
 * Perplexity exactly as llama-perplexity computes it: the text is tokenized with BOS, cut into
 * ⌊tokens/n_ctx⌋ chunks of n_ctx tokens; each chunk is evaluated from an empty cache with its first token
 * replaced by BOS (when the vocabulary adds BOS); the second half of each chunk is scored (positions
 * n_ctx/2 … n_ctx−2 predict the next token); PPL = exp(mean NLL), ± stderr·PPL.
 *
 * <p>With a base file path it also writes llama-perplexity's {@code --kl-divergence-base} file ("_logits_", n_ctx,
 * n_vocab, n_chunk, the tokens, then per scored position the 16-bit log-probability record); {@link #klDivergence}
 * reads such a file and compares.
 */
public final class Perplexity {
    private Perplexity() {}

    /** The smallest context that scores a token (position n_ctx/2 predicting n_ctx/2 + 1 ≤ n_ctx − 1). */
    public static final int MIN_CTX = 3;

    /** Refuses a context that scores no token (PPL would be NaN). */
    public static void checkContext(int nCtx) {
        if (nCtx < MIN_CTX) {
            throw new KilnException("-c " + nCtx + " is too small: perplexity scores positions n_ctx/2 … n_ctx−2 of each chunk,"
                    + " so -c must be at least " + MIN_CTX);
        }
    }

    /** Refuses a chunk whose logits (n_ctx × n_vocab floats) do not fit one Java array. */
    private static void checkLogitsFit(int nCtx, int nVocab) {
        if ((long) nCtx * nVocab > Integer.MAX_VALUE - 8) {
            throw new KilnException("-c " + nCtx + " is too large for perplexity: a chunk's logits (" + nCtx + " × " + nVocab
                    + " values) do not fit one array; use a smaller -c");
        }
    }

    public static PerplexityResult run(Model m, String text, int chunksWanted, Path baseOut, IntConsumer progress) {
        int[] tokens = m.tokenizer().encode(text, true);
        int nCtx = m.nCtx();
        checkContext(nCtx);
        checkLogitsFit(nCtx, m.nVocab());
        if (tokens.length < 2L * nCtx) {
            throw new KilnException("you need at least " + 2 * nCtx + " tokens to evaluate perplexity with a context of " + nCtx
                    + "; the text tokenizes to only " + tokens.length);
        }
        int nChunkMax = tokens.length / nCtx;
        int nChunk = chunksWanted <= 0 ? nChunkMax : Math.min(chunksWanted, nChunkMax);
        int nVocab = m.nVocab();
        int first = nCtx / 2;
        int scoredPerChunk = nCtx - 1 - first;
        float[] logits = new float[nCtx * nVocab];
        int[] chunk = new int[nCtx];
        int nv = LogProbs.recordShorts(nVocab);
        short[] rec = baseOut != null ? new short[scoredPerChunk * nv] : null;
        double nll = 0, nll2 = 0;
        long count = 0;
        long t0 = System.nanoTime();
        try (PendingOutput tmp = baseOut != null ? PendingOutput.file(baseOut) : null) {
            try (OutputStream out = tmp != null ? new BufferedOutputStream(Files.newOutputStream(tmp.path(), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS), 1 << 20) : OutputStream.nullOutputStream()) {
                if (baseOut != null) {
                    ByteBuffer h = ByteBuffer.allocate(8 + 12 + 4 * nChunk * nCtx).order(ByteOrder.LITTLE_ENDIAN);
                    h.put("_logits_".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(nCtx).putInt(nVocab).putInt(nChunk);
                    for (int i = 0; i < nChunk * nCtx; i++) h.putInt(tokens[i]);
                    out.write(h.array());
                }
                for (int c = 0; c < nChunk; c++) {
                    evalChunk(m, tokens, c, chunk, logits);
                    for (int i = 0; i < scoredPerChunk; i++) {
                        int pos = first + i;
                        int next = tokens[c * nCtx + pos + 1];
                        double v = rec != null ? LogProbs.encode(logits, pos * nVocab, nVocab, next, rec, i * nv)
                                : LogProbs.nll(logits, pos * nVocab, nVocab, next);
                        nll += v;
                        nll2 += v * v;
                    }
                    count += scoredPerChunk;
                    if (rec != null) out.write(shortsToBytes(rec));
                    if (progress != null) progress.accept(c + 1);
                }
            } catch (IOException e) {
                throw new KilnException("cannot write " + baseOut + ": " + e.getMessage(), e);
            }
            if (tmp != null) tmp.commit();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return finish(nll, nll2, count, nChunk, nCtx, tokens.length, seconds, null);
    }

    private static PerplexityResult finish(double nll, double nll2, long count, int nChunk, int nCtx, int nTokens, double seconds, KldStats kld) {
        nll2 /= count;
        nll /= count;
        double ppl = Math.exp(nll);
        nll2 -= nll * nll;
        double err = nll2 > 0 ? Math.sqrt(nll2 / (count - 1)) * ppl : 0;
        return new PerplexityResult(ppl, err, nChunk, nCtx, count, nTokens, seconds, kld);
    }

    private static void evalChunk(Model m, int[] tokens, int c, int[] chunk, float[] logits) {
        int nCtx = m.nCtx();
        System.arraycopy(tokens, c * nCtx, chunk, 0, nCtx);
        if (m.tokenizer().addsBos()) chunk[0] = m.tokenizer().bos();
        FiniteLogits.evaluate(m, chunk, 0, nCtx, 0, logits, true);
    }

    /** Compares the model with a base logits file made by {@code --kl-divergence-base} (Kiln's or llama-perplexity's). */
    public static PerplexityResult klDivergence(Model m, Path base, int chunksWanted, IntConsumer progress) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(base), 1 << 20))) {
            byte[] magic = in.readNBytes(8);
            if (!"_logits_".equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
                throw new KilnException(base + ": not a logits file (no _logits_ magic)");
            }
            int nCtx = le(in.readInt()), nVocab = le(in.readInt()), nChunkFile = le(in.readInt());
            if (nCtx != m.nCtx()) throw new KilnException(base + ": was made with a context of " + nCtx + " but -c is " + m.nCtx());
            checkContext(nCtx);
            checkLogitsFit(nCtx, m.nVocab());
            if (nChunkFile < 1 || 20 + 4L * nCtx * nChunkFile > Files.size(base)) {
                throw new KilnException(base + ": says " + nChunkFile + " chunks of " + nCtx + " tokens but is only " + Files.size(base) + " bytes");
            }
            if (nVocab != m.nVocab()) throw new KilnException(base + ": has a vocabulary of " + nVocab + " but the model has " + m.nVocab());
            int[] tokens = new int[nCtx * nChunkFile];
            ByteBuffer tb = ByteBuffer.wrap(in.readNBytes(4 * tokens.length)).order(ByteOrder.LITTLE_ENDIAN);
            if (tb.remaining() != 4 * tokens.length) throw new KilnException(base + ": truncated");
            for (int i = 0; i < tokens.length; i++) tokens[i] = tb.getInt();
            int nChunk = chunksWanted <= 0 ? nChunkFile : Math.min(chunksWanted, nChunkFile);
            int first = nCtx / 2, scored = nCtx - 1 - first, nv = LogProbs.recordShorts(nVocab);
            float[] logits = new float[nCtx * m.nVocab()];
            int[] chunk = new int[nCtx];
            short[] rec = new short[scored * nv];
            KldStats s = new KldStats();
            double nll = 0, nll2 = 0;
            long t0 = System.nanoTime();
            for (int c = 0; c < nChunk; c++) {
                byte[] raw = in.readNBytes(2 * rec.length);
                if (raw.length != 2 * rec.length) throw new KilnException(base + ": truncated at chunk " + (c + 1));
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(rec);
                evalChunk(m, tokens, c, chunk, logits);
                for (int i = 0; i < scored; i++) {
                    int pos = first + i;
                    int next = tokens[c * nCtx + pos + 1];
                    double v = LogProbs.nll(logits, pos * nVocab, nVocab, next);
                    nll += v;
                    nll2 += v * v;
                    LogProbs.kld(logits, pos * nVocab, nVocab, rec, i * nv, next, s);
                }
                if (progress != null) progress.accept(c + 1);
            }
            return finish(nll, nll2, (long) nChunk * scored, nChunk, nCtx, tokens.length, (System.nanoTime() - t0) / 1e9, s);
        } catch (IOException e) {
            throw new KilnException("cannot read " + base + ": " + e.getMessage(), e);
        }
    }

    private static int le(int bigEndian) {
        return Integer.reverseBytes(bigEndian);
    }

    private static byte[] shortsToBytes(short[] s) {
        ByteBuffer b = ByteBuffer.allocate(2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(s);
        return b.array();
    }
}
