package kiln.convert;

import kiln.tensor.testing.FileHashes;
import kiln.convert.cli.ConvertCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every fixture model in every layout it has → the reference converter's file (tensors, bytes, metadata). */
class GoldenConvertTest {
    @TempDir
    Path tmp;

    private Path convert(String hf, String... opts) {
        Fixtures.require();
        Path out = tmp.resolve("out-" + System.nanoTime() + ".gguf");
        String[] args = new String[opts.length + 4];
        args[0] = Fixtures.file(hf).toString();
        args[1] = "-o";
        args[2] = out.toString();
        args[3] = "--no-progress";
        System.arraycopy(opts, 0, args, 4, opts.length);
        assertEquals(0, CliSupport.run(new ConvertCommand(), args));
        return out;
    }

    @Test
    void tinyDeepseekIkLayoutEqualsIkConverter() {
        Path out = convert("tiny-deepseek/hf", "--outtype", "bf16", "--mla-layout", "ik");
        Path ref = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        GgufAssert.assertSameModel(ref, out);
        assertEquals(FileHashes.sha256(ref), FileHashes.sha256(out), "whole file (general.name and size_label guessed the same)");
    }

    @Test
    void tinyDeepseekDefaultsAreIkLayoutAndAutoBf16() {
        Path out = convert("tiny-deepseek/hf");
        GgufAssert.assertSameModel(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), out);
    }

    @Test
    void tinyDeepseekMainlineLayoutEqualsMainlineConverter() {
        Path out = convert("tiny-deepseek/hf", "--outtype", "bf16", "--mla-layout", "mainline");
        Path ref = Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        GgufAssert.assertSameModel(ref, out);
        assertEquals(FileHashes.sha256(ref), FileHashes.sha256(out));
    }

    @Test
    void tinyDeepseekF32MatchesRecordedSha256() {
        // ik/tiny-deepseek-f32.gguf and mainline/tiny-deepseek-f32.gguf were not kept; their sha256 are in the MANIFEST.
        assertEquals("ed42795af34af3bbfe5b1dda19fcb77965b68522e79ca4dd9b8e4febc71d4131",
                FileHashes.sha256(convert("tiny-deepseek/hf", "--outtype", "f32", "--mla-layout", "ik")));
        assertEquals("f417a21cb8da4f4e7bde0bc4ca09aa035d44af0c45245bd2f3e3ad6848a3ebb8",
                FileHashes.sha256(convert("tiny-deepseek/hf", "--outtype", "f32", "--mla-layout", "mainline")));
    }

    @Test
    void fp8CheckpointEqualsMainlineConverter() {
        Path out = convert("tiny-deepseek-fp8/hf-fp8", "--outtype", "bf16", "--mla-layout", "mainline");
        Path ref = Fixtures.file("tiny-deepseek-fp8/mainline/tiny-deepseek-fp8-bf16.gguf");
        GgufAssert.assertSameModel(ref, out);
        assertEquals(FileHashes.sha256(ref), FileHashes.sha256(out));
    }

    /**
     * The FP8 folder and its dequantized twin are sharded differently, so the converters emit their tensors in different
     * orders (shard by shard); content must be identical, and the FP8 output keeps the FP8 folder's order.
     */
    @Test
    void fp8CheckpointInIkLayoutEqualsIkConversionOfItsDequantizedTwin() {
        Path out = convert("tiny-deepseek-fp8/hf-fp8", "--outtype", "bf16", "--mla-layout", "ik");
        GgufAssert.assertSameTensorsAnyOrder(Fixtures.file("tiny-deepseek-fp8/ik/tiny-deepseek-fp8-dequant-bf16.gguf"), out);
        java.util.List<String> ikOrder = new java.util.ArrayList<>();
        try (var f = kiln.tensor.gguf.GgufFile.open(out)) {
            for (var t : f.tensors()) if (!t.name().endsWith("attn_kv_b.weight")) ikOrder.add(t.name());
        }
        try (var f = kiln.tensor.gguf.GgufFile.open(Fixtures.file("tiny-deepseek-fp8/mainline/tiny-deepseek-fp8-bf16.gguf"))) {
            assertEquals(GgufAssert.names(f.tensors()), ikOrder, "order of the FP8 folder (as mainline converted it)");
        }
    }

    @Test
    void dequantizedTwinEqualsBothReferences() {
        GgufAssert.assertSameModel(Fixtures.file("tiny-deepseek-fp8/ik/tiny-deepseek-fp8-dequant-bf16.gguf"),
                convert("tiny-deepseek-fp8/hf-dequant-bf16", "--outtype", "bf16", "--mla-layout", "ik"));
        GgufAssert.assertSameTensorsAnyOrder(Fixtures.file("tiny-deepseek-fp8/mainline/tiny-deepseek-fp8-bf16.gguf"),
                convert("tiny-deepseek-fp8/hf-dequant-bf16", "--outtype", "bf16", "--mla-layout", "mainline"));
    }

    @Test
    void tinyLlamaEqualsMainlineConverter() {
        Path out = convert("tiny-llama/hf", "--outtype", "bf16");
        Path ref = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        GgufAssert.assertSameModel(ref, out);
        assertEquals(FileHashes.sha256(ref), FileHashes.sha256(out));
        assertEquals("21f236a72fc2f1b65f13d65c054b6386d8927700fc60507404dfa839a01c0d32",
                FileHashes.sha256(convert("tiny-llama/hf", "--outtype", "f32")), "recorded sha256 of mainline's f32 conversion");
    }

    @Test
    void legacyLayoutIsTheIkFileWithoutTheSplitHalves() {
        Path out = convert("tiny-deepseek/hf", "--mla-layout", "legacy");
        Path ref = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        try (var r = kiln.tensor.gguf.GgufFile.open(ref); var k = kiln.tensor.gguf.GgufFile.open(out)) {
            java.util.List<String> expected = new java.util.ArrayList<>();
            for (var t : r.tensors()) if (!t.name().endsWith("attn_k_b.weight") && !t.name().endsWith("attn_v_b.weight")) expected.add(t.name());
            assertEquals(expected, GgufAssert.names(k.tensors()));
            for (var t : k.tensors()) assertEquals(-1, r.data(r.tensor(t.name())).mismatch(k.data(t)), t.name());
            assertEquals(new java.util.ArrayList<>(r.metadata().keys()), new java.util.ArrayList<>(k.metadata().keys()));
            for (String key : r.metadata().keys()) {
                if (!GgufAssert.GUESSED.contains(key)) assertEquals(r.metadata().get(key), k.metadata().get(key), key);
            }
        }
    }

    @Test
    void expertGroupsFlagAddsTheGroupKeysToIkLayout() {
        Path out = convert("tiny-deepseek/hf", "--mla-layout", "ik", "--expert-groups");
        java.util.List<String> keys = new java.util.ArrayList<>(GgufAssert.metadata(out).keySet());
        int used = keys.indexOf("deepseek2.expert_used_count");
        assertEquals("deepseek2.expert_group_count", keys.get(used + 1));
        assertEquals("deepseek2.expert_group_used_count", keys.get(used + 2));
        assertEquals(2L, GgufAssert.metadata(out).get("deepseek2.expert_group_count").asLong());
        assertEquals(1L, GgufAssert.metadata(out).get("deepseek2.expert_group_used_count").asLong());
    }
}
