package kiln.bench.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.cli.CliSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SynthCommandTest {

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path dir) throws IOException {
        for (String name : new String[]{"a", "b"}) {
            assertEquals(0, CliSupport.run(new SynthCommand(), "--preset", "tiny-deepseek-test", "-o", dir.resolve(name).toString(), "--seed", "7"));
        }
        assertEquals(0, CliSupport.run(new SynthCommand(), "--preset", "tiny-deepseek-test", "-o", dir.resolve("c").toString(), "--seed", "8", "-t", "1"));
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b/model.safetensors")));
        assertFalse(Arrays.equals(a, Files.readAllBytes(dir.resolve("c/model.safetensors"))));
        assertEquals(Files.readString(dir.resolve("a/tokenizer.json")), Files.readString(dir.resolve("b/tokenizer.json")));
    }

    @Test
    void checkpointIsConsistent(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m");
        assertEquals(0, CliSupport.run(new SynthCommand(), "--preset", "tiny-deepseek-test", "-o", out.toString()));
        ObjectMapper om = new ObjectMapper();
        JsonNode cfg = om.readTree(out.resolve("config.json").toFile());
        assertEquals("DeepseekV2ForCausalLM", cfg.get("architectures").get(0).asText());
        byte[] st = Files.readAllBytes(out.resolve("model.safetensors"));
        long hlen = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = om.readTree(new String(st, 8, (int) hlen, java.nio.charset.StandardCharsets.UTF_8));
        long end = 0;
        int tensors = 0;
        for (var it = header.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            tensors++;
            long n = 2;
            for (JsonNode d : e.getValue().get("shape")) n *= d.asLong();
            JsonNode off = e.getValue().get("data_offsets");
            assertEquals(n, off.get(1).asLong() - off.get(0).asLong(), e.getKey());
            end = Math.max(end, off.get(1).asLong());
        }
        assertEquals(st.length, 8 + hlen + end);
        assertTrue(header.has("model.layers.1.mlp.experts.3.down_proj.weight"));
        assertTrue(header.has("model.layers.0.mlp.gate_proj.weight"), "first layer is dense");
        assertEquals(SynthModel.tensors(Preset.byName("tiny-deepseek-test")).size(), tensors);

        JsonNode tok = om.readTree(out.resolve("tokenizer.json").toFile());
        JsonNode vocab = tok.get("model").get("vocab");
        assertEquals(cfg.get("vocab_size").asInt(), vocab.size());
        Set<Integer> ids = new HashSet<>();
        vocab.fields().forEachRemaining(e -> ids.add(e.getValue().asInt()));
        assertEquals(vocab.size(), ids.size(), "token ids are unique");
        for (JsonNode m : tok.get("model").get("merges")) {
            assertTrue(vocab.has(m.get(0).asText()) && vocab.has(m.get(1).asText()) && vocab.has(m.get(0).asText() + m.get(1).asText()),
                    "merge " + m + " must join two tokens into a token");
        }
    }

    @Test
    void unknownPresetAndNonEmptyOutputAreRefused(@TempDir Path dir) throws IOException {
        assertEquals(2, CliSupport.run(new SynthCommand(), "--preset", "gpt-5", "-o", dir.resolve("x").toString()));
        assertFalse(Files.exists(dir.resolve("x")));
        Files.writeString(dir.resolve("keep.txt"), "mine");
        assertEquals(2, CliSupport.run(new SynthCommand(), "--preset", "tiny-llama-test", "-o", dir.toString()));
        assertNotEquals(0, Files.size(dir.resolve("keep.txt")));
    }
}
