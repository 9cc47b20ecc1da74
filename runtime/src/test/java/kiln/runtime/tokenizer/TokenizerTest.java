package kiln.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerTest {

    private static Tokenizer load(String rel) {
        try (GgufFile f = GgufFile.open(Fixtures.file(rel))) {
            return Tokenizer.fromMetadata(f.metadata(), rel);
        }
    }

    @Test
    void promptTokensEqualLlamaCpp() throws Exception {
        Path root = Fixtures.require();
        Tokenizer t = load("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        JsonNode check = new ObjectMapper().readTree(root.resolve("tiny-deepseek/results/tokenizer_check.json").toFile());
        JsonNode ids = check.get("prompt").get("hf_ids");
        String prompt = Files.readString(root.resolve("tiny-deepseek/text/prompt.txt"));
        int[] got = t.encode(prompt, true);
        assertEquals(ids.size(), got.length);
        for (int i = 0; i < got.length; i++) assertEquals(ids.get(i).asInt(), got[i], "token " + i);
        assertEquals(prompt, t.decode(got));
    }

    @Test
    void evalAndCalibTextTokenCountsEqualLlamaCpp() throws Exception {
        Path root = Fixtures.require();
        JsonNode check = new ObjectMapper().readTree(root.resolve("tiny-deepseek/results/tokenizer_check.json").toFile());
        for (String model : new String[] {"tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-llama/mainline/tiny-llama-bf16.gguf"}) {
            Tokenizer t = load(model);
            for (String name : new String[] {"eval", "calib"}) {
                String text = Files.readString(root.resolve("tiny-deepseek/text/" + name + ".txt"));
                int[] ids = t.encode(text, true);
                assertEquals(check.get(name).get("mainline").get("n_tokens").asInt(), ids.length, model + " " + name);
                assertEquals(text, t.decode(ids), "round trip " + name);
            }
        }
    }

    @Test
    void evalTokensEqualLlamaPerplexityFirstChunk() throws Exception {
        // the logits base file is not kept; the greedy reference token ids decode back to the tool's greedy text
        Path root = Fixtures.require();
        Tokenizer t = load("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        JsonNode ref = new ObjectMapper().readTree(root.resolve("tiny-deepseek/results/logits/mainline-bf16.json").toFile());
        int[] gen = new int[ref.get("greedy_new_token_ids").size()];
        for (int i = 0; i < gen.length; i++) gen[i] = ref.get("greedy_new_token_ids").get(i).asInt();
        assertEquals(ref.get("greedy_text").asText(), t.decode(gen));
        int[] again = t.encode(ref.get("greedy_text").asText(), false);
        assertTrue(again.length > 0);
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() {
        Tokenizer t = load("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        String eos = t.tokenText(1);
        int[] parsed = t.encode("Hi" + eos + "Ho", false, true);
        int[] plain = t.encode("Hi" + eos + "Ho", false, false);
        assertEquals(1, java.util.Arrays.stream(parsed).filter(i -> i == 1).count());
        assertEquals(0, java.util.Arrays.stream(plain).filter(i -> i == 1).count());
        assertArrayEquals(t.encode("Hi", false), java.util.Arrays.copyOf(parsed, t.encode("Hi", false).length));
        assertEquals("HiHo", t.decode(parsed), "control tokens decode to nothing");
    }

    @Test
    void preTokenizerSplitsLikeDeepseekV3() {
        PreTokenizer p = PreTokenizer.forPre("deepseek-v3", "x");
        // digits in runs of at most 3; punctuation takes trailing newlines; "~x" is punctuation+letters
        assertEquals(java.util.List.of("Hello", ",", " world", "!!\n\n", "123", "45", " ", "~x"),
                p.split("Hello, world!!\n\n12345 ~x"));
    }

    @Test
    void missingTokenizerMetadataIsOneLineError() {
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("llama"));
        KilnException e = assertThrows(KilnException.class, () -> Tokenizer.fromMetadata(md, "m.gguf"));
        assertTrue(e.getMessage().contains("missing tokenizer metadata"), e.getMessage());
        md.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        md.put("tokenizer.ggml.tokens", GgufValue.ofStrings(new String[] {"a"}));
        md.put("tokenizer.ggml.merges", GgufValue.ofStrings(new String[0]));
        md.put("tokenizer.ggml.bos_token_id", GgufValue.ofU32(0));
        md.put("tokenizer.ggml.pre", GgufValue.ofString("qwen9"));
        e = assertThrows(KilnException.class, () -> Tokenizer.fromMetadata(md, "m.gguf"));
        assertTrue(e.getMessage().contains("qwen9"), e.getMessage());
    }
}
