package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Several sequences in one micro-batch (llama.cpp's n_seq streams) give every token the logits it gets when its
 * sequence is evaluated alone: each sequence has its own cache cells and positions. With a reference tool's
 * numerics the logits are bit-identical (every sum has a fixed order); Kiln's own kernels choose paths by batch
 * size, so f32 numerics agree to rounding.
 */
class ParallelSequencesTest {

    private static void sameAsAlone(String gguf, String numerics, float tolerance) {
        Fixtures.require();
        ModelOptions base = ModelOptions.defaults().withCtx(64).withThreads(2).withNumerics(numerics);
        int seqs = 3, per = 16, steps = 3;
        int[][] text = new int[seqs][per * steps];
        for (int s = 0; s < seqs; s++) for (int i = 0; i < per * steps; i++) text[s][i] = 1 + (17 * s + 31 * i + i * i) % 900;
        try (Model together = ModelLoader.load(Fixtures.file(gguf), base.withSequences(seqs).withUbatch(seqs * per))) {
            int v = together.nVocab();
            float[][] alone = new float[seqs][];
            for (int s = 0; s < seqs; s++) {
                try (Model m = ModelLoader.load(Fixtures.file(gguf), base.withUbatch(per))) {
                    alone[s] = new float[per * steps * v];
                    m.evaluate(text[s], 0, per * steps, 0, alone[s], true);
                }
            }
            int[] batch = new int[seqs * per];
            float[] out = new float[seqs * per * v];
            for (int step = 0; step < steps; step++) {
                for (int s = 0; s < seqs; s++) System.arraycopy(text[s], step * per, batch, s * per, per);
                together.evaluateParallel(batch, 0, seqs, per, step * per, out);
                for (int s = 0; s < seqs; s++) {
                    float[] exp = java.util.Arrays.copyOfRange(alone[s], step * per * v, (step + 1) * per * v);
                    float[] got = java.util.Arrays.copyOfRange(out, s * per * v, (s + 1) * per * v);
                    assertArrayEquals(exp, got, tolerance, gguf + " sequence " + s + " step " + step);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> together.evaluateParallel(batch, 0, seqs + 1, 1, 0, out));
        }
    }

    @Test
    void llamaMainline() {
        sameAsAlone("tiny-llama/mainline/tiny-llama-bf16.gguf", "mainline", 0f);
    }

    @Test
    void deepseekMainlineAndF32() {
        sameAsAlone("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "mainline", 0f);
        sameAsAlone("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "f32", 1e-4f);
    }
}
