package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Numerics;
import kiln.runtime.tokenizer.Tokenizer;

/**
 * A loaded model ready to evaluate tokens: its tokenizer, its KV cache and the forward pass of its graph.
 * Buffers are allocated once for the largest micro-batch; evaluation allocates nothing per token. Its numerics are
 * the backend's ({@link Backend#numerics}), fixed at load.
 */
public abstract class Model implements AutoCloseable {
    protected final ModelOptions options;
    protected final Tokenizer tokenizer;
    protected final Backend backend;
    protected final int nCtx, nVocab, nEmbd, ubatch;

    protected Model(ModelOptions options, Tokenizer tokenizer, Backend backend, int nEmbd, int nVocab) {
        this.options = options;
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.numerics = backend.numerics();
        this.mainlineNumerics = numerics.mainlineForms();
        this.ggmlElementwise = numerics.ggmlElementwise();
        this.ikElementwise = numerics.ikForms();
        this.nCtx = options.nCtx();
        this.nVocab = nVocab;
        this.nEmbd = nEmbd;
        this.nSeq = Math.max(1, options.nSeq());
        this.ubatch = Math.min(options.ubatch(), options.nCtx() * nSeq);
        this.cells = new BatchCells(nCtx);
    }

    /**
     * Refuses a context whose KV cache and attention buffers ({@code bytes}) would not fit in the heap that is left,
     * before they are allocated: one line instead of an OutOfMemoryError.
     */
    protected static void requireHeap(String file, int nCtx, long bytes) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes < 0 || bytes > free) {
            throw new kiln.tensor.KilnException(file + ": a context of " + nCtx + " tokens (-c) needs "
                    + (bytes < 0 ? "more than 8 EiB" : kiln.tensor.cli.Progress.human(bytes)) + " for the KV cache and attention buffers but "
                    + kiln.tensor.cli.Progress.human(free) + " of heap is free (use a smaller -c, -ctk/-ctv q8_0, or KILN_JAVA_OPTS=-Xmx…)");
        }
    }

    /** Parallel sequences the caches hold ({@link ModelOptions#withSequences}). */
    protected final int nSeq;
    /** Where the tokens of the micro-batch in flight sit in the cache; the attention reads the same object. */
    protected final BatchCells cells;

    /** Position of token t of the micro-batch in flight. */
    protected final int posOf(int t, int pos0) {
        return cells.pos(t, pos0);
    }

    /** Cache cell of token t of the micro-batch in flight (its sequence's block of nCtx cells). */
    protected final int cellOf(int t, int pos0) {
        return cells.cell(t, pos0);
    }
    /** Tokens of the {@link #evaluateBatch} in flight whose logits are wanted (null: all or the last). */
    private int[] logitRows;
    private int logitRowCount;

    /**
     * Evaluates a micro-batch of tokens that each name their own sequence and position, as llama.cpp's llama_batch
     * does (a server's slots, each at its own point of its conversation): token t goes to cache cell
     * seq[t]·nCtx + pos[t] and attends to its sequence's cells 0..pos[t]. Tokens of one sequence come in position
     * order and every earlier position of that sequence is already cached or earlier in this batch. Writes the logits
     * of the tokens listed in {@code rows} (rowCount of them, in that order) into {@code logits}.
     */
    public void evaluateBatch(int[] tokens, int[] seq, int[] pos, int n, int[] rows, int rowCount, float[] logits) {
        if (n < 1 || n > ubatch) throw new IllegalArgumentException(n + " tokens; the micro-batch holds 1 to " + ubatch);
        for (int t = 0; t < n; t++) {
            if (seq[t] < 0 || seq[t] >= nSeq) throw new IllegalArgumentException("sequence " + seq[t] + "; the model was loaded for " + nSeq);
            if (pos[t] < 0 || pos[t] >= nCtx) {
                throw new kiln.tensor.KilnException("position " + pos[t] + " does not fit in the context of " + nCtx + " (use a larger -c)");
            }
        }
        for (int r = 0; r < rowCount; r++) if (rows[r] < 0 || rows[r] >= n) throw new IllegalArgumentException("logit row " + rows[r] + " of " + n);
        logitRows = rows;
        logitRowCount = rowCount;
        cells.tokens(seq, pos); // every token its own attention tile, whole-batch paths (ik's prompt path) off
        try {
            forwardBatch(tokens, 0, n, 0, scratchLogits(n), true);
            System.arraycopy(scratchLogits(n), 0, logits, 0, rowCount * nVocab);
        } finally {
            logitRows = null;
            cells.reset();
        }
    }

    /**
     * Evaluates one micro-batch holding {@code perSeq} tokens of each of {@code seqs} sequences, sequence by sequence
     * (tokens[off + s·perSeq + i] is token i of sequence s), all at positions pos0..pos0+perSeq−1 of their own
     * cache, as llama.cpp evaluates a batch of several sequences (llama-perplexity's and llama-imatrix's n_seq).
     * Writes the logits of every token (seqs·perSeq·vocab floats).
     */
    public void evaluateParallel(int[] tokens, int off, int seqs, int perSeq, int pos0, float[] logits) {
        if (seqs < 1 || seqs > nSeq) throw new IllegalArgumentException(seqs + " sequences; the model was loaded for " + nSeq);
        if (seqs * perSeq > ubatch) throw new IllegalArgumentException(seqs + "×" + perSeq + " tokens exceed the micro-batch of " + ubatch);
        if (pos0 + perSeq > nCtx) {
            throw new kiln.tensor.KilnException((pos0 + perSeq) + " tokens do not fit in the context of " + nCtx + " (use a larger -c)");
        }
        cells.sequences(perSeq);
        try {
            forwardBatch(tokens, off, seqs * perSeq, pos0, scratchLogits(seqs * perSeq), true);
            System.arraycopy(scratchLogits(seqs * perSeq), 0, logits, 0, seqs * perSeq * nVocab);
        } finally {
            cells.reset();
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int nCtx() {
        return nCtx;
    }

    public int nVocab() {
        return nVocab;
    }

    public int ubatch() {
        return ubatch;
    }

    /** Installs an activation observer (see {@link kiln.runtime.kernel.MatmulObserver}); null removes it. */
    public void setMatmulObserver(kiln.runtime.kernel.MatmulObserver o) {
        backend.setObserver(o);
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Whose arithmetic to reproduce, chosen at load ({@link ModelLoader#resolveNumerics}) and fixed for the model's
     * life: the backend's, which every part of the graph reads when it is built (see {@link Numerics}).
     */
    protected final Numerics numerics;

    /** The {@code --numerics} value the model reproduces (fast, f32, mainline, ik). */
    public String numerics() {
        return numerics.name();
    }

    /** Reproducing mainline llama.cpp (its build's FMA contractions, slot sums). */
    protected final boolean mainlineNumerics;
    /** Element functions as the reproduced tool computes them (mainline and ik: ggml's vectorised exp). */
    protected final boolean ggmlElementwise;
    /** ik_llama.cpp's own forms where they differ from mainline's (norm product order, routing, expert sums). */
    protected final boolean ikElementwise;

    /** Final RMS norm and the output projection, for all tokens of a batch or only the last. */
    protected void outputLogits(float[] x, float[] xn, int n, float[] norm, float eps, kiln.runtime.kernel.Weight output,
                                float[] logits, boolean all) {
        int vocab = (int) output.rows();
        if (logitRows != null) { // evaluateBatch: only the listed tokens, normed into rows 0..count-1 of xn
            if (logitRowCount == 0) return;
            for (int r = 0; r < logitRowCount; r++) rmsNorm(x, logitRows[r] * nEmbd, norm, eps, xn, r * nEmbd, nEmbd);
            backend.matmul(output, xn, 0, nEmbd, logitRowCount, logits, 0, vocab);
            return;
        }
        int first = all ? 0 : n - 1;
        for (int t = first; t < n; t++) rmsNorm(x, t * nEmbd, norm, eps, xn, t * nEmbd, nEmbd);
        backend.matmul(output, xn, first * nEmbd, nEmbd, n - first, logits, 0, vocab);
    }

    /** RMS norm of one row: mainline x·scale·w, ik (scale·w)·x (ggml_fused_rms_norm). */
    protected void rmsNorm(float[] x, int xo, float[] w, float eps, float[] out, int oo, int n) {
        if (ikElementwise) Ops.rmsNormIk(x, xo, w, eps, out, oo, n);
        else Ops.rmsNorm(x, xo, w, eps, out, oo, n);
    }

    /** SwiGLU of rows×width values, in place in g: g = silu(g)·u, row by row as ggml_vec_swiglu_f32. */
    protected void swiglu(float[] g, float[] u, int rows, int width) {
        if (ggmlElementwise) {
            for (int r = 0; r < rows; r++) kiln.runtime.kernel.GgmlMath.swiglu(g, r * width, u, r * width, width);
        } else {
            for (int i = 0; i < rows * width; i++) g[i] = Ops.silu(g[i]) * u[i];
        }
    }

    /** One line describing the architecture and the choices made at load (MLA mode, layout, routing). */
    public abstract String describe();

    /** The KV cache's size as llama.cpp prints it at load ("KV self size = … MiB, K (f16): … MiB, V (f16): … MiB"). */
    public abstract String kvCacheSize();

    /**
     * Evaluates tokens[off..off+n) at positions pos0.. (n ≤ ubatch), appending them to the KV cache.
     * Writes logits of every token (allLogits, n·vocab floats) or of the last one (vocab floats) into {@code logits}.
     */
    protected abstract void forwardBatch(int[] tokens, int off, int n, int pos0, float[] logits, boolean allLogits);

    /**
     * Evaluates tokens in micro-batches. {@code logits} receives n·vocab values when allLogits, else the last
     * token's vocab values.
     */
    public void evaluate(int[] tokens, int off, int n, int pos0, float[] logits, boolean allLogits) {
        if (pos0 + n > nCtx) {
            throw new kiln.tensor.KilnException((pos0 + n) + " tokens do not fit in the context of " + nCtx + " (use a larger -c)");
        }
        for (int done = 0; done < n; ) {
            int m = Math.min(ubatch, n - done);
            if (allLogits) {
                forwardBatch(tokens, off + done, m, pos0 + done, scratchLogits(m), true);
                System.arraycopy(scratchLogits(m), 0, logits, done * nVocab, m * nVocab);
            } else {
                forwardBatch(tokens, off + done, m, pos0 + done, logits, false);
            }
            done += m;
        }
    }

    private float[] batchLogits;

    private float[] scratchLogits(int m) {
        if (batchLogits == null) batchLogits = new float[ubatch * nVocab];
        return batchLogits;
    }

    private final java.util.List<AutoCloseable> owned = new java.util.ArrayList<>();
    private int repacked;

    /** Resources closed with the model, in reverse order (the mapped file, run-time repacked tensors). */
    void attach(AutoCloseable resource) {
        owned.add(resource);
    }

    void noteRepacked(int n) {
        repacked = n;
    }

    /** Number of tensors repacked at load by -rtr. */
    public int repackedTensors() {
        return repacked;
    }

    @Override
    public void close() {
        backend.close();
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }
    }
}
