package kiln.runtime.model;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Layout handling at load and the one-line errors for files Kiln cannot run. */
class LoadingTest {
    @TempDir
    Path tmp;

    static ModelOptions opt(int mla) {
        return ModelOptions.defaults().withCtx(64).withThreads(2).withMla(mla).withNumerics("f32");
    }

    static float[] promptLogits(Path gguf, int mla) {
        try (Model m = ModelLoader.load(gguf, opt(mla))) {
            return Greedy.promptLogits(m, m.tokenizer().encode(Reference.text("tiny-deepseek/text/prompt.txt"), true));
        }
    }

    @Test
    void legacyLayoutWithOnlyKvbDerivesKbVbLikeIk() {
        Path ik = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path legacy = GgufEdit.write(ik, tmp.resolve("legacy.gguf"), md -> {},
                t -> !t.name().contains("attn_k_b") && !t.name().contains("attn_v_b"));
        // derived attn_k_b/attn_v_b are byte-identical to the converter's, so the logits agree to float rounding
        // (the Vector API's lane reductions may add in a different order before and after JIT compilation)
        assertArrayEquals(promptLogits(ik, 3), promptLogits(legacy, 3), 1e-4f);
        assertArrayEquals(promptLogits(ik, 0), promptLogits(legacy, 0), 1e-4f);
    }

    @Test
    void deepseekWithoutQLoraRunsAtAnyDepth() {
        // tiny-deepseek has q_lora_rank = hidden = 256, so attn_q_b has exactly the shape of a plain attn_q:
        // renaming it and dropping attn_q_a/attn_q_a_norm gives a valid q_lora-less model (3 layers, an
        // "unusual depth" the reference runtimes refuse without q_lora)
        Path ik = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path plain = GgufEdit.write(ik, tmp.resolve("plain-q.gguf"), md -> md.remove("deepseek2.attention.q_lora_rank"),
                t -> !t.name().contains("attn_q_a"), n -> n.replace("attn_q_b", "attn_q"));
        try (Model m = ModelLoader.load(plain, opt(3))) {
            assertTrue(m.describe().contains("no q_lora"), m.describe());
        }
        float[] a = promptLogits(plain, 3), b = promptLogits(plain, 0), withLora = promptLogits(ik, 3);
        double diffModes = 0, diffModels = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]));
            diffModes = Math.max(diffModes, Math.abs(a[i] - b[i]));
            diffModels = Math.max(diffModels, Math.abs(a[i] - withLora[i]));
        }
        assertTrue(diffModes < 2e-3, "-mla 0 vs 3 without q_lora: " + diffModes);
        assertTrue(diffModels > 0.01, "the plain-q path must differ from the q_lora path");
    }

    @Test
    void unsupportedArchitectureIsOneLine() {
        Path f = GgufEdit.write(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("q.gguf"),
                md -> md.put("general.architecture", GgufValue.ofString("qwen2")), t -> true);
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt(3)));
        assertEquals("q.gguf: Kiln cannot run architecture 'qwen2'; it runs: llama, deepseek2", e.getMessage());
        assertEquals(2, e.exitCode());
    }

    @Test
    void missingTokenizerIsOneLine() {
        Path f = GgufEdit.write(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("t.gguf"),
                md -> md.remove("tokenizer.ggml.tokens"), t -> true);
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt(3)));
        assertTrue(e.getMessage().contains("missing tokenizer metadata (tokenizer.ggml.tokens)"), e.getMessage());
    }

    @Test
    void tensorsNotMatchingHyperparametersIsOneLine() {
        Path f = GgufEdit.write(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"), tmp.resolve("h.gguf"),
                md -> md.put("deepseek2.attention.kv_lora_rank", GgufValue.ofU32(128)), t -> true);
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt(3)));
        assertTrue(e.getMessage().contains("do not match its metadata"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingTensorIsOneLine() {
        Path f = GgufEdit.write(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("m.gguf"),
                md -> {}, t -> !t.name().equals("blk.2.attn_v.weight"));
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt(3)));
        assertTrue(e.getMessage().startsWith("m.gguf: missing tensor 'blk.2.attn_v.weight'"), e.getMessage());
    }

    @Test
    void typeWithoutCodecIsNamed() {
        // a norm vector of 256 f32 retyped to IQ2_BN (ik's BitNet type): a type Kiln has no codec for
        Path f = GgufEdit.write(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("x.gguf"), md -> {},
                t -> true, n -> n, t -> t.name().equals("blk.0.attn_norm.weight") ? kiln.tensor.GgmlType.IQ2_BN : t.type());
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt(3)));
        assertTrue(e.getMessage().startsWith("Kiln cannot run type iq2_bn (tensor 'blk.0.attn_norm.weight'); it runs: "), e.getMessage());
        assertTrue(e.getMessage().contains("q4_k_r4"), "interleaved types are listed: " + e.getMessage());
    }

    @Test
    void promptLongerThanContextIsOneLine() {
        try (Model m = ModelLoader.load(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), opt(3).withCtx(16))) {
            int[] ids = m.tokenizer().encode(Reference.text("tiny-llama/text/prompt.txt"), true);
            KilnException e = assertThrows(KilnException.class,
                    () -> kiln.runtime.eval.Generation.run(m, ids, 4, 512, new kiln.runtime.sample.Sampler(m.nVocab(), 0, 0, 1, 0, 1), true, null));
            assertEquals("the prompt is 35 tokens long but the context is 16 (use a larger -c)", e.getMessage());
        }
    }
}
