package kiln.runtime.model;

/**
 * Where each token of the micro-batch in flight sits in the KV cache — the one place that knows, shared by a
 * {@link Model} (which sets it per evaluation and writes the cache) and its {@link Attention}/{@link TiledAttention}
 * (which read the cache). Sequence s owns cells [s·nCtx, (s+1)·nCtx); two layouts:
 * <ul>
 *   <li><b>sequence-major</b> (the default, and {@link Model#evaluateParallel}): token t belongs to sequence
 *       t / seqLen at position pos0 + t % seqLen (one sequence of the whole batch when seqLen is unbounded);</li>
 *   <li><b>per token</b> ({@link Model#evaluateBatch}: a server's slots): token t at position pos[t] of sequence
 *       seq[t]; every token is its own attention tile.</li>
 * </ul>
 */
final class BatchCells {
    private final int nCtx;
    private int seqLen = Integer.MAX_VALUE;
    private int[] seq, pos;

    BatchCells(int nCtx) {
        this.nCtx = nCtx;
    }

    /** Sequence-major: {@code seqLen} tokens per sequence (Integer.MAX_VALUE: the whole batch is one sequence). */
    void sequences(int seqLen) {
        this.seqLen = seqLen;
        this.seq = this.pos = null;
    }

    /** Per token: token t at position pos[t] of sequence seq[t]. */
    void tokens(int[] seq, int[] pos) {
        this.seqLen = 1;
        this.seq = seq;
        this.pos = pos;
    }

    /** Back to the default: the whole batch is one sequence. */
    void reset() {
        sequences(Integer.MAX_VALUE);
    }

    /** Position of token t ({@code pos0}: the first position of the sequence-major layout). */
    int pos(int t, int pos0) {
        return pos != null ? pos[t] : pos0 + t % seqLen;
    }

    /** First cache cell of token t's sequence. */
    int base(int t) {
        return (pos != null ? seq[t] : t / seqLen) * nCtx;
    }

    /** Cache cell of token t. */
    int cell(int t, int pos0) {
        return base(t) + pos(t, pos0);
    }

    /** Tokens of one sequence that are consecutive in a batch of n (1 per token; n when the batch is one sequence). */
    int perSequence(int n) {
        return Math.min(seqLen, n);
    }

    /** Whether the n tokens of the batch are one sequence at consecutive positions (whole-batch paths may run). */
    boolean oneSequence(int n) {
        return pos == null && seqLen >= n;
    }

    /** One past the last position any of the n tokens reaches. */
    int span(int n, int pos0) {
        if (pos == null) return pos0 + perSequence(n);
        int span = 0;
        for (int t = 0; t < n; t++) span = Math.max(span, pos[t] + 1);
        return span;
    }
}
