package kiln.validate;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import kiln.validate.compat.Compatibility;
import kiln.validate.compat.RuntimeVerdict;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rules of the loaders beyond the fixtures' recorded runs, on fixture headers with one thing changed. */
class CompatibilityRulesTest {

    private static ModelView changed(String fixture, Consumer<GgufMetadata> editMetadata, Consumer<List<TensorInfo>> editTensors) {
        try (GgufFile f = GgufFile.open(Fixtures.file(fixture))) {
            GgufMetadata md = f.metadata().copy();
            editMetadata.accept(md);
            List<TensorInfo> t = new ArrayList<>(f.tensors());
            editTensors.accept(t);
            return new ModelView(fixture, md, t);
        }
    }

    @Test
    void ikRequiresExpertWeightsScaleMainlineDoesNot() {
        ModelView m = changed("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", md -> md.remove("deepseek2.expert_weights_scale"), t -> {});
        assertEquals(true, Compatibility.mainline(m).loads(), Compatibility.mainline(m).reason());
        assertEquals(true, Compatibility.kiln(m).loads());
        ModelView ik = changed("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", md -> md.remove("deepseek2.expert_weights_scale"), t -> {});
        RuntimeVerdict v = Compatibility.ik(ik);
        assertEquals(false, v.loads());
        assertEquals("will not load: key not found in model: deepseek2.expert_weights_scale", v.reason());
    }

    @Test
    void ikNeedsASeparateOutputTensorMainlineTiesIt() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> {}, t -> t.removeIf(x -> x.name().equals("output.weight")));
        for (RuntimeVerdict v : Compatibility.judge(m)) assertEquals(true, v.loads(), "llama ties output to token_embd: " + v.line());
        ModelView d = changed("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", md -> {}, t -> t.removeIf(x -> x.name().equals("output.weight")));
        RuntimeVerdict ik = Compatibility.ik(d);
        assertEquals(false, ik.loads());
        assertTrue(ik.reason().startsWith("will not load: missing tensor 'output.weight'"), ik.reason());
        assertEquals(true, Compatibility.kiln(d).loads(), Compatibility.kiln(d).reason());
    }

    /** `repack --undo` is offered only for interleaved tensors whose base llama.cpp knows; the rest are named for requantizing. */
    @Test
    void mainlineFixNamesWhatUndoCannotFix() {
        java.util.function.Function<kiln.tensor.GgmlType, ModelView> with = type -> changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> {},
                t -> t.replaceAll(x -> x.name().equals("blk.0.attn_q.weight") ? retyped(x, kiln.tensor.GgmlType.Q4_K_R4)
                        : x.name().equals("blk.1.attn_q.weight") ? retyped(x, type) : x));
        String onlyUndo = Compatibility.mainline(with.apply(kiln.tensor.GgmlType.Q6_K_R4)).reason();
        assertTrue(onlyUndo.endsWith("`kiln repack --undo` turns the interleaved tensors back into their base types"), onlyUndo);
        for (kiln.tensor.GgmlType t : List.of(kiln.tensor.GgmlType.IQ1_S_R4, kiln.tensor.GgmlType.IQ3_K_R4, kiln.tensor.GgmlType.IQ4_KS)) {
            String mixed = Compatibility.mainline(with.apply(t)).reason();
            assertTrue(mixed.endsWith("`kiln repack --undo` turns the interleaved tensors back into their base types, and the "
                    + t.ggmlName() + " tensors need requantizing to a type llama.cpp knows"), mixed);
        }
    }

    /** Q8_KV_R8 (ik's interleaved Q8_KV): ik and Kiln load it; llama.cpp knows neither it nor its base, so undo is no fix. */
    @Test
    void q8KvR8LoadsInIkAndKilnOnly() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> {},
                t -> t.replaceAll(x -> x.ne().length == 2 && x.ne()[1] % 8 == 0 && !x.name().equals("token_embd.weight")
                        ? retyped(x, kiln.tensor.GgmlType.Q8_KV_R8) : x));
        RuntimeVerdict ml = Compatibility.mainline(m);
        assertEquals(false, ml.loads());
        assertTrue(ml.reason().contains("has invalid ggml type 398") && ml.reason().contains("q8_KV_r8 (29 tensors)")
                && ml.reason().endsWith("requantize those tensors to a type llama.cpp knows"), ml.reason());
        assertEquals(true, Compatibility.ik(m).loads(), Compatibility.ik(m).reason());
        assertEquals(true, Compatibility.kiln(m).loads(), Compatibility.kiln(m).reason());
        assertTrue(Compatibility.hasCodec(kiln.tensor.GgmlType.Q8_KV_R8));
    }

    private static TensorInfo retyped(TensorInfo t, kiln.tensor.GgmlType type) {
        return new TensorInfo(t.name(), type, t.ne(), t.offset(), t.shard());
    }

    @Test
    void wrongShapeIsNamedWithBothShapes() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> md.put("llama.attention.head_count_kv", GgufValue.ofU32(8)), t -> {});
        RuntimeVerdict v = Compatibility.mainline(m);
        assertEquals(false, v.loads());
        assertTrue(v.reason().contains("tensor 'blk.0.attn_k.weight' has wrong shape; expected 256, 256, got 256, 128"), v.reason());
    }

    @Test
    void ropeDimensionsMustMatchTheLlamaHeadSize() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> md.put("llama.rope.dimension_count", GgufValue.ofU32(16)), t -> {});
        assertEquals("will not load: invalid n_rot: 16, expected 32", Compatibility.ik(m).reason());
    }

    @Test
    void noVocabularyIsNamed() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> {
            md.remove("tokenizer.ggml.tokens");
            md.remove("llama.vocab_size");
        }, t -> {});
        for (RuntimeVerdict v : Compatibility.judge(m)) {
            assertTrue(v.reason().contains("cannot find tokenizer vocab in model file"), v.line());
        }
    }

    @Test
    void otherArchitecturesAreNotJudged() {
        ModelView m = changed("tiny-llama/mainline/tiny-llama-bf16.gguf", md -> md.put("general.architecture", GgufValue.ofString("qwen3")), t -> {});
        RuntimeVerdict ml = Compatibility.mainline(m);
        assertEquals(null, ml.loads());
        assertEquals(null, ml.expectedTensors());
        assertEquals(false, Compatibility.kiln(m).loads());
        ModelView r4 = changed("tiny-llama/ik/tiny-llama-Q4_K_R4.gguf", md -> md.put("general.architecture", GgufValue.ofString("qwen3")), t -> {});
        assertEquals(false, Compatibility.mainline(r4).loads(), "an ik-only type rules mainline out whatever the architecture");
    }
}
