package kiln.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.convert.cli.ConvertCommand;
import kiln.convert.safetensors.SafetensorsFolder;
import kiln.convert.source.SourceTensor;
import kiln.convert.testing.SafetensorsWriter;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** DeepSeek checkpoints the fixtures do not cover directly: derived head_dim, an MTP layer, no q-LoRA. */
class DeepseekVariantsTest {
    @TempDir
    Path tmp;

    /** tiny-deepseek re-packed into one model.safetensors, with config and tensors edited. */
    private Path variant(String name, Consumer<ObjectNode> config, Consumer<SafetensorsWriter> extra, java.util.function.Predicate<String> keep)
            throws IOException {
        Path src = Fixtures.file("tiny-deepseek/hf");
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        for (String f : new String[]{"tokenizer.json", "tokenizer_config.json", "config.json"}) Files.copy(src.resolve(f), dir.resolve(f));
        ObjectMapper om = new ObjectMapper();
        ObjectNode c = (ObjectNode) om.readTree(dir.resolve("config.json").toFile());
        config.accept(c);
        om.writeValue(dir.resolve("config.json").toFile(), c);
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFolder f = SafetensorsFolder.open(src)) {
            for (SourceTensor t : f.tensors()) {
                if (keep.test(t.name())) w.add(t.name(), t.dtype(), t.shape(), t.data().toArray(ValueLayout.JAVA_BYTE));
            }
            extra.accept(w);
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    private Path convert(Path hf, String layout) {
        Path out = tmp.resolve(hf.getFileName() + "-" + layout + ".gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf.toString(), "-o", out.toString(), "--mla-layout", layout, "--no-progress"));
        return out;
    }

    @Test
    void derivedHeadDimIsIgnored() throws IOException {
        Fixtures.require();
        Path hf = variant("head-dim", c -> c.put("head_dim", 32).put("qk_head_dim", 96), w -> {}, n -> true);
        GgufAssert.assertSameTensorsAnyOrder(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), convert(hf, "ik"));
        GgufAssert.assertSameTensorsAnyOrder(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"), convert(hf, "mainline"));
    }

    @Test
    void mtpLayerIsDropped() throws IOException {
        Fixtures.require();
        Path hf = variant("mtp", c -> c.put("num_nextn_predict_layers", 1), w -> {
            w.add("model.layers.3.eh_proj.weight", "BF16", new long[]{256, 512}, new byte[256 * 512 * 2]);
            w.add("model.layers.3.self_attn.q_a_proj.weight", "BF16", new long[]{256, 256}, new byte[256 * 256 * 2]);
            w.add("model.layers.3.shared_head.norm.weight", "BF16", new long[]{256}, new byte[512]);
        }, n -> true);
        GgufAssert.assertSameTensorsAnyOrder(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), convert(hf, "ik"));
    }

    @Test
    void withoutQLora() throws IOException {
        Fixtures.require();
        // V2-Lite style: q_proj instead of q_a/q_b, q_lora_rank null. Values do not matter here, structure does.
        Path hf = variant("no-qlora", c -> c.putNull("q_lora_rank"), w -> {
            for (int l = 0; l < 3; l++) {
                w.add("model.layers." + l + ".self_attn.q_proj.weight", "BF16", new long[]{4 * 96, 256}, new byte[4 * 96 * 256 * 2]);
            }
        }, n -> !n.contains("self_attn.q_a_") && !n.contains("self_attn.q_b_"));
        for (String layout : new String[]{"ik", "mainline"}) {
            Path out = convert(hf, layout);
            try (GgufFile f = GgufFile.open(out); GgufFile ref = GgufFile.open(Fixtures.file("tiny-deepseek/" + layout + "/tiny-deepseek-bf16.gguf"))) {
                assertNull(f.metadata().get("deepseek2.attention.q_lora_rank"));
                TensorInfo q = f.tensor("blk.1.attn_q.weight");
                assertNotNull(q);
                assertArrayEquals(new long[]{256, 384}, q.ne());
                assertFalse(f.hasTensor("blk.1.attn_q_a.weight"));
                assertEquals(ref.tensors().size() - 3 * 2, f.tensors().size(), "q_a, q_a_norm, q_b → q per layer");
                for (TensorInfo t : ref.tensors()) {
                    if (t.name().contains("attn_q")) continue;
                    assertEquals(-1, ref.data(t).mismatch(f.data(f.tensor(t.name()))), t.name());
                }
            }
        }
    }
}
