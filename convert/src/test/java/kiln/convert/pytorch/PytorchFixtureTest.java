package kiln.convert.pytorch;

import kiln.convert.archive.ArchiveSources;
import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tiny-llama/hf-bin (two .bin shards) against tiny-llama/hf (the same model as safetensors). */
class PytorchFixtureTest {
    private static Path hfBin() { return Fixtures.file("tiny-llama/hf-bin/pytorch_model.bin.index.json").getParent(); }
    private static Path hf() { return Fixtures.file("tiny-llama/hf/model.safetensors").getParent(); }

    @Test
    void binShardsHoldTheSameTensorsAsTheSafetensors() {
        try (HfSource bin = PytorchSources.open(hfBin());
             HfSource st = ArchiveSources.fromFiles(new FolderFiles(hf()))) {
            assertEquals(39, bin.tensors().size());
            SourceComparison.assertSameTensors(st, bin, false);
            assertTrue(bin.tensors().stream().allMatch(t -> t.dtype().equals("BF16")));
        }
    }

    @Test
    void tensorOrderIsShardOrderThenPickleOrderAsInTheReferenceGguf() {
        try (HfSource bin = PytorchSources.open(hfBin());
             GgufFile ref = GgufFile.open(Fixtures.file("tiny-llama/mainline/tiny-llama-bin-bf16.gguf"))) {
            List<String> ours = bin.tensors().stream().map(t -> llamaGgufName(t.name())).toList();
            List<String> theirs = ref.tensors().stream().map(TensorInfo::name).toList();
            assertEquals(theirs, ours);
            // first tensor of shard 2 follows the last of shard 1
            assertEquals("model.layers.2.self_attn.v_proj.weight", bin.tensors().get(21).name());
            assertEquals("model.layers.2.self_attn.o_proj.weight", bin.tensors().get(22).name());
        }
    }

    @Test
    void tensorsNotRewrittenByTheConverterEqualTheReferenceGgufBytes() {
        try (HfSource bin = PytorchSources.open(hfBin());
             GgufFile ref = GgufFile.open(Fixtures.file("tiny-llama/mainline/tiny-llama-bin-bf16.gguf"))) {
            int compared = 0;
            for (SourceTensor t : bin.tensors()) {
                if (t.name().contains("q_proj") || t.name().contains("k_proj")) continue; // permuted by the converter
                if (t.shape().length == 1) continue; // norms are written as F32
                TensorInfo info = ref.tensors().stream().filter(i -> i.name().equals(llamaGgufName(t.name()))).findFirst().orElseThrow();
                assertEquals(-1L, t.data().mismatch(ref.data(info)), t.name());
                compared++;
            }
            assertEquals(22, compared);
        }
    }

    @Test
    void smallFilesComeFromTheFolder() {
        try (HfSource bin = PytorchSources.open(hfBin())) {
            assertTrue(bin.file("config.json").isPresent());
            assertTrue(bin.file("tokenizer.json").isPresent());
            assertTrue(bin.file("nope.json").isEmpty());
            assertArrayEquals(new long[] {1024, 256}, bin.tensors().getFirst().shape());
        }
    }

    /** The llama tensor names of the reference converter, enough for this model. */
    static String llamaGgufName(String hf) {
        return hf.replace("model.embed_tokens", "token_embd").replace("lm_head", "output").replace("model.norm", "output_norm")
                .replace("model.layers.", "blk.").replace("self_attn.q_proj", "attn_q").replace("self_attn.k_proj", "attn_k")
                .replace("self_attn.v_proj", "attn_v").replace("self_attn.o_proj", "attn_output").replace("mlp.gate_proj", "ffn_gate")
                .replace("mlp.up_proj", "ffn_up").replace("mlp.down_proj", "ffn_down").replace("post_attention_layernorm", "ffn_norm")
                .replace("input_layernorm", "attn_norm");
    }
}
