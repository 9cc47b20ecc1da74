package kiln.validate;

import kiln.runtime.model.GgufEdit;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import kiln.validate.compat.Compatibility;
import kiln.validate.compat.RuntimeVerdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** validate's Kiln verdict is what `kiln run` does with the file: the cases where they disagreed (issue 14 item 5). */
class KilnVerdictTest {
    @TempDir
    Path tmp;

    private static final String LLAMA = "tiny-llama/mainline/tiny-llama-bf16.gguf";
    private static final String DEEPSEEK = "tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf";

    private Path edited(String fixture, Consumer<GgufMetadata> edit) {
        return GgufEdit.write(Fixtures.file(fixture), tmp.resolve("e.gguf"), edit, t -> true);
    }

    /** The runtime's own outcome: null when it loads, else its one-line refusal without the file name. */
    private static String runsOrRefusal(Path f) {
        try (var m = ModelLoader.load(f, ModelOptions.defaults().withCtx(16).withThreads(1))) {
            return null;
        } catch (KilnException e) {
            return e.getMessage().substring(e.getMessage().indexOf(": ") + 2);
        }
    }

    private static RuntimeVerdict kilnVerdict(Path f) {
        FileValidation v = FileValidation.run(f, false);
        return v.runtimes.stream().filter(r -> r.runtime().equals(Compatibility.KILN)).findFirst().orElseThrow();
    }

    /** validate and run agree; returns the refusal both give (null: both load). */
    private static String agreed(Path f) {
        String run = runsOrRefusal(f);
        RuntimeVerdict kiln = kilnVerdict(f);
        assertEquals(run == null, kiln.loads(), kiln.line() + " / run: " + run);
        if (run != null) assertEquals("will not load: " + run, kiln.reason());
        return run;
    }

    @Test
    void bosOutsideTheVocabulary() {
        String m = agreed(edited(LLAMA, md -> md.put("tokenizer.ggml.bos_token_id", GgufValue.ofU32(99999))));
        assertEquals("tokenizer.ggml.bos_token_id 99999 is outside the vocabulary of 1024", m);
    }

    @Test
    void moreExpertsUsedThanThereAre() {
        String m = agreed(edited(DEEPSEEK, md -> md.put("deepseek2.expert_used_count", GgufValue.ofU32(9))));
        assertEquals("deepseek2.expert_used_count is 9; expected 1 … 8 (deepseek2.expert_count)", m);
    }

    @Test
    void damagedTokens() {
        String m = agreed(edited(LLAMA, md -> md.put("tokenizer.ggml.tokens", GgufValue.ofI32s(new int[] {1, 2, 3}))));
        assertEquals("tokenizer.ggml.tokens is arr[i32]; expected an array of strings", m.replace("array[", "arr["));
        m = agreed(edited(LLAMA, md -> md.put("tokenizer.ggml.token_type", GgufValue.ofStrings(new String[] {"a"}))));
        assertTrue(m.startsWith("tokenizer.ggml.token_type is "), m);
        m = agreed(edited(LLAMA, md -> md.put("tokenizer.ggml.tokens", GgufValue.ofStrings(new String[] {"a", "b"}))));
        assertNotNull(m);
    }

    @Test
    void noLayers() {
        assertEquals("llama.block_count is 0; a model needs at least one layer",
                agreed(edited(LLAMA, md -> md.put("llama.block_count", GgufValue.ofU32(0)))));
    }

    @Test
    void oneBitFlippedInAnAttnKvBName() throws Exception {
        byte[] d = Files.readAllBytes(Fixtures.file(DEEPSEEK));
        String name = "blk.1.attn_kv_b.weight";
        int at = new String(d, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf(name);
        d[at + 7] ^= 1; // attn → autn: ik's layout still has attn_k_b/attn_v_b, from which the runtime derives attn_kv_b
        Path f = Files.write(tmp.resolve("flip.gguf"), d);
        assertNull(agreed(f));
    }

    @Test
    void strictFailsWhenNoRuntimeLoadsTheFile() {
        Path f = edited(LLAMA, md -> md.put("llama.block_count", GgufValue.ofU32(0)));
        FileValidation v = FileValidation.run(f, false);
        assertTrue(v.valid());
        assertFalse(v.strict().valid());
        assertTrue(v.errors.contains("no runtime will load this file (--strict)"), v.errors.toString());
        assertTrue(FileValidation.run(Fixtures.file(LLAMA), false).strict().valid());
    }
}
