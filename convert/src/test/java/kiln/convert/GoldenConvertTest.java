package kiln.convert;

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
        assertEquals(GgufAssert.sha256(ref), GgufAssert.sha256(out), "whole file (general.name and size_label guessed the same)");
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
        assertEquals(GgufAssert.sha256(ref), GgufAssert.sha256(out));
    }

    @Test
    void tinyDeepseekF32MatchesRecordedSha256() {
        // ik/tiny-deepseek-f32.gguf and mainline/tiny-deepseek-f32.gguf were not kept; their sha256 are in the MANIFEST.
        assertEquals("ed42795af34af3bbfe5b1dda19fcb77965b68522e79ca4dd9b8e4febc71d4131",
                GgufAssert.sha256(convert("tiny-deepseek/hf", "--outtype", "f32", "--mla-layout", "ik")));
        assertEquals("f417a21cb8da4f4e7bde0bc4ca09aa035d44af0c45245bd2f3e3ad6848a3ebb8",
                GgufAssert.sha256(convert("tiny-deepseek/hf", "--outtype", "f32", "--mla-layout", "mainline")));
    }

    @Test
    void fp8CheckpointEqualsMainlineConverter() {
        Path out = convert("tiny-deepseek-fp8/hf-fp8", "--outtype", "bf16", "--mla-layout", "mainline");
        Path ref = Fixtures.file("tiny-deepseek-fp8/mainline/tiny-deepseek-fp8-bf16.gguf");
        GgufAssert.assertSameModel(ref, out);
        assertEquals(GgufAssert.sha256(ref), GgufAssert.sha256(out));
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
        assertEquals(GgufAssert.sha256(ref), GgufAssert.sha256(out));
        assertEquals("21f236a72fc2f1b65f13d65c054b6386d8927700fc60507404dfa839a01c0d32",
                GgufAssert.sha256(convert("tiny-llama/hf", "--outtype", "f32")), "recorded sha256 of mainline's f32 conversion");
    }
}
