package kiln.convert;

import kiln.convert.cli.ConvertCommand;
import kiln.convert.testing.TestModels;
import kiln.tensor.GgmlType;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Llama checkpoints beyond the fixture: Llama-3 rope scaling (rope_freqs), tied embeddings. */
class LlamaVariantsTest {
    @TempDir
    Path tmp;

    @Test
    void llama3RopeScalingAddsRopeFreqsFirst() throws IOException {
        Fixtures.require();
        Path hf = TestModels.llama(tmp.resolve("l3"), n -> true, w -> {});
        TestModels.editConfig(hf, c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192));
        Path out = tmp.resolve("l3.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf.toString(), "-o", out.toString(), "--no-progress"));
        try (GgufFile f = GgufFile.open(out); GgufFile ref = GgufFile.open(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"))) {
            TensorInfo rf = f.tensors().getFirst();
            assertEquals("rope_freqs.weight", rf.name());
            assertEquals(GgmlType.F32, rf.type());
            assertArrayEquals(new long[]{16}, rf.ne());
            var d = f.data(rf);
            for (int k = 0; k < 16; k++) {
                double wavelen = 2 * Math.PI * Math.pow(10000, k / 16.0);
                double expected = wavelen < 2048 ? 1 : wavelen > 8192 ? 8 : 1 / ((1 - (8192 / wavelen - 1) / 3) / 8 + (8192 / wavelen - 1) / 3);
                assertEquals(expected, d.get(kiln.tensor.LittleEndian.FLOAT, 4L * k), expected * 1e-6, "factor " + k);
            }
            assertFalse(f.metadata().contains("llama.rope.scaling.type"), "llama3 scaling is carried by rope_freqs, not keys");
            assertEquals(ref.tensors().size() + 1, f.tensors().size());
            for (TensorInfo t : ref.tensors()) assertEquals(-1, ref.data(t).mismatch(f.data(f.tensor(t.name()))), t.name());
        }
    }

    @Test
    void tiedEmbeddingsWriteNoOutputTensor() throws IOException {
        Fixtures.require();
        Path hf = TestModels.llama(tmp.resolve("tied"), n -> !n.equals("lm_head.weight"), w -> {});
        TestModels.editConfig(hf, c -> c.put("tie_word_embeddings", true));
        Path out = tmp.resolve("tied.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf.toString(), "-o", out.toString(), "--no-progress"));
        try (GgufFile f = GgufFile.open(out)) {
            assertFalse(f.hasTensor("output.weight"));
            assertEquals(38, f.tensors().size());
        }
    }

    @Test
    void chatTemplateFromTokenizerConfigIsTheLastTokenizerKey() throws IOException {
        Fixtures.require();
        Path hf = TestModels.llama(tmp.resolve("chat"), n -> true, w -> {});
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var tc = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(hf.resolve("tokenizer_config.json").toFile());
        String template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
        tc.put("chat_template", template);
        om.writeValue(hf.resolve("tokenizer_config.json").toFile(), tc);
        Path out = tmp.resolve("chat.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf.toString(), "-o", out.toString(), "--no-progress"));
        var keys = new java.util.ArrayList<>(GgufAssert.metadata(out).keySet());
        assertEquals("tokenizer.chat_template", keys.getLast());
        assertEquals(template, GgufAssert.metaString(out, "tokenizer.chat_template"));
    }
}
