package kiln.runtime.model;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Hyperparameters are checked against the tensors and sane bounds before anything sized by them is allocated. */
class HyperparametersTest {
    @TempDir
    Path tmp;

    private static final String LLAMA = "tiny-llama/mainline/tiny-llama-bf16.gguf";
    private static final String DEEPSEEK = "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";

    private String refusal(String fixture, Consumer<GgufMetadata> edit) {
        return refusal(fixture, edit, LoadingTest.opt(3));
    }

    private String refusal(String fixture, Consumer<GgufMetadata> edit, ModelOptions opt) {
        Path f = GgufEdit.write(Fixtures.file(fixture), tmp.resolve("e.gguf"), edit, t -> true);
        KilnException e = assertThrows(KilnException.class, () -> ModelLoader.load(f, opt).close());
        assertEquals(2, e.exitCode());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("e.gguf: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void blockCountBeyondTheLayersPresentIsRefused() {
        String m = refusal(LLAMA, md -> md.put("llama.block_count", GgufValue.ofU32(0x7FFFFFFF)));
        assertEquals("e.gguf: llama.block_count is 2147483647 but the file has tensors for 4 layers (blk.0 … blk.3)", m);
        m = refusal(DEEPSEEK, md -> md.put("deepseek2.block_count", GgufValue.ofU32(0x7FFFFFFF)));
        assertTrue(m.contains("deepseek2.block_count is 2147483647 but the file has tensors for 3 layers"), m);
    }

    @Test
    void zeroLayersAreRefused() {
        String m = refusal(LLAMA, md -> md.put("llama.block_count", GgufValue.ofU32(0)));
        assertEquals("e.gguf: llama.block_count is 0; a model needs at least one layer", m);
    }

    @Test
    void expertCountMustBeTheExpertsTheTensorsHold() {
        String m = refusal(DEEPSEEK, md -> md.put("deepseek2.expert_count", GgufValue.ofU32(0x7FFFFFFF)));
        assertTrue(m.contains("deepseek2.expert_count is 2147483647"), m);
        m = refusal(DEEPSEEK, md -> md.put("deepseek2.expert_count", GgufValue.ofU32(16)));
        assertEquals("e.gguf: deepseek2.expert_count is 16 but blk.1.ffn_gate_exps.weight holds 8 experts", m);
        m = refusal(DEEPSEEK, md -> md.put("deepseek2.expert_used_count", GgufValue.ofU32(9)));
        assertTrue(m.contains("deepseek2.expert_used_count is 9; expected 1 … 8"), m);
    }

    @Test
    void ropeDimensionsBeyondTheHeadAreRefused() {
        String m = refusal(LLAMA, md -> md.put("llama.rope.dimension_count", GgufValue.ofU32(0x7FFFFFFF)));
        assertTrue(m.startsWith("e.gguf: llama.rope.dimension_count is 2147483647; expected an even number ≤ the head size "), m);
        m = refusal(LLAMA, md -> md.put("llama.rope.dimension_count", GgufValue.ofU32(0)));
        assertEquals("e.gguf: llama.rope.dimension_count is 0; expected a positive 32-bit count", m);
    }

    @Test
    void nonsenseFloatsAreRefusedByKey() {
        for (float v : new float[] {Float.NaN, 0f, -10000f}) {
            String m = refusal(LLAMA, md -> md.put("llama.rope.freq_base", GgufValue.ofF32(v)));
            assertTrue(m.startsWith("e.gguf: llama.rope.freq_base is ") && m.endsWith("expected a finite number > 0"), m);
        }
        for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1e-5f}) {
            String m = refusal(LLAMA, md -> md.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofF32(v)));
            assertTrue(m.startsWith("e.gguf: llama.attention.layer_norm_rms_epsilon is ") && m.endsWith("expected a finite number ≥ 0"), m);
        }
        for (float v : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
            String m = refusal(DEEPSEEK, md -> md.put("deepseek2.expert_weights_scale", GgufValue.ofF32(v)));
            assertTrue(m.startsWith("e.gguf: deepseek2.expert_weights_scale is ") && m.endsWith("expected a finite number"), m);
        }
    }

    @Test
    void contextAboveTheModelsIsRefused() {
        String m = refusal(LLAMA, md -> {}, LoadingTest.opt(3).withCtx(Integer.MAX_VALUE));
        assertEquals("e.gguf: a context of 2147483647 tokens (-c) is longer than the model's context of 2048 (llama.context_length)", m);
    }

    @Test
    void contextAboveWhatTheHeapHoldsIsRefused() {
        // a model that claims a huge trained context: the KV cache of -c 2^30 cannot fit any test heap
        String m = refusal(LLAMA, md -> md.put("llama.context_length", GgufValue.ofU32(0x7FFFFFFF)), LoadingTest.opt(3).withCtx(1 << 30));
        assertTrue(m.contains("a context of 1073741824 tokens (-c) needs") && m.contains("of heap is free"), m);
    }
}
