package kiln.server;

/**
 * One of the server's parallel sequences: its own block of KV-cache cells (sequence {@link #id} of the model), the
 * tokens those cells hold (kept after a request ends, so the next request sharing a prefix reuses them), and the
 * request it serves.
 */
final class Slot {
    final int id;
    /** cache[0..nPast) are the tokens evaluated at positions 0..nPast−1 of this slot's cells. */
    final int[] cache;
    int nPast;
    volatile Job job;
    /** The token sampled last and not evaluated yet, or −1 while the prompt is being evaluated. */
    int pending = -1;
    int generated;
    long lastUsed;
    final float[] logits;

    Slot(int id, int nCtx, int nVocab) {
        this.id = id;
        this.cache = new int[nCtx];
        this.logits = new float[nVocab];
    }

    /** Tokens at the start of {@code prompt} this slot's cells already hold. */
    int commonPrefix(int[] prompt) {
        int n = Math.min(nPast, prompt.length), i = 0;
        while (i < n && cache[i] == prompt[i]) i++;
        return i;
    }

    boolean prefilling() {
        return job != null && pending < 0;
    }
}
