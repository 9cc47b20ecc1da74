package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A server's slots in one micro-batch ({@link Model#evaluateBatch}): each token names its sequence and position,
 * sequences at different points of their text, some prefilling several tokens, some generating one; every logit
 * row equals the one the token gets when its sequence is evaluated alone. With a reference tool's numerics the
 * rows are bit-identical; with Kiln's own f32 kernels they agree to 1e-4 relative.
 */
class BatchOfSlotsTest {

    /** Steps of the batched run: per step and sequence, how many of its next tokens join the batch. */
    private static final int[][] STEPS = {{9, 4, 1}, {1, 7, 2}, {1, 0, 12}, {4, 1, 1}};

    private static void sameAsAlone(String gguf, String numerics, float relTol) {
        Fixtures.require();
        ModelOptions base = ModelOptions.defaults().withCtx(64).withThreads(2).withNumerics(numerics);
        int seqs = 3, len = 16;
        int[][] text = new int[seqs][len];
        for (int s = 0; s < seqs; s++) for (int i = 0; i < len; i++) text[s][i] = 1 + (13 * s + 29 * i + i * i) % 700;
        float[][] alone = new float[seqs][];
        int v;
        try (Model m = ModelLoader.load(Fixtures.file(gguf), base)) {
            v = m.nVocab();
            for (int s = 0; s < seqs; s++) {
                alone[s] = new float[len * v];
                m.evaluate(text[s], 0, len, 0, alone[s], true);
            }
        }
        try (Model together = ModelLoader.load(Fixtures.file(gguf), base.withSequences(seqs).withUbatch(32))) {
            int[] done = new int[seqs];
            int[] tokens = new int[32], seq = new int[32], pos = new int[32], rows = new int[32];
            float[] logits = new float[32 * v];
            for (int[] step : STEPS) {
                int n = 0, r = 0;
                for (int s = seqs - 1; s >= 0; s--) { // sequences in reverse order: the batch order is free
                    for (int i = 0; i < step[s]; i++) {
                        tokens[n] = text[s][done[s] + i];
                        seq[n] = s;
                        pos[n] = done[s] + i;
                        rows[r++] = n++; // every token's logits, to compare them all
                    }
                }
                together.evaluateBatch(tokens, seq, pos, n, rows, r, logits);
                for (int t = 0; t < n; t++) {
                    float[] exp = Arrays.copyOfRange(alone[seq[t]], pos[t] * v, (pos[t] + 1) * v);
                    float[] got = Arrays.copyOfRange(logits, t * v, (t + 1) * v);
                    for (int i = 0; i < v; i++) {
                        float tol = relTol * Math.max(1f, Math.abs(exp[i]));
                        if (Math.abs(exp[i] - got[i]) > tol) {
                            assertEquals(exp[i], got[i], tol, gguf + " sequence " + seq[t] + " position " + pos[t] + " logit " + i);
                        }
                    }
                }
                for (int s = 0; s < seqs; s++) done[s] += step[s];
            }
            // only the last token's row: the same numbers as that token's row above
            int[] one = {text[0][done[0]]}, s0 = {0}, p0 = {done[0]}, row0 = {0};
            float[] last = new float[v];
            together.evaluateBatch(one, s0, p0, 1, row0, 1, last);
            float[] exp = Arrays.copyOfRange(alone[0], done[0] * v, (done[0] + 1) * v);
            for (int i = 0; i < v; i++) assertEquals(exp[i], last[i], relTol * Math.max(1f, Math.abs(exp[i])), "last row, logit " + i);
            assertThrows(IllegalArgumentException.class, () -> together.evaluateBatch(one, new int[]{seqs}, p0, 1, row0, 1, last));
            assertThrows(kiln.tensor.KilnException.class, () -> together.evaluateBatch(one, s0, new int[]{64}, 1, row0, 1, last));
        }
    }

    @Test
    void llamaMainlineBitwise() {
        sameAsAlone("tiny-llama/mainline/tiny-llama-bf16.gguf", "mainline", 0f);
    }

    @Test
    void llamaFast() {
        sameAsAlone("tiny-llama/mainline/tiny-llama-bf16.gguf", "fast", 1e-4f);
    }

    @Test
    void deepseekMainlineBitwiseAndF32() {
        sameAsAlone("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "mainline", 0f);
        sameAsAlone("tiny-deepseek/ik/tiny-deepseek-Q4_K_M.gguf", "f32", 1e-4f);
    }
}
