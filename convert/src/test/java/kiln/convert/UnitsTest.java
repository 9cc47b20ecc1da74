package kiln.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.convert.tensors.Fp8E4M3;
import kiln.convert.tokenizer.PreTokenizers;
import kiln.convert.write.ModelNaming;
import kiln.convert.write.SplitPlan;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small pieces: FP8 decoding, pre-tokenizer recognition, names, sizes. */
class UnitsTest {
    @Test
    void fp8E4M3DecodesExactly() {
        assertEquals(0f, Fp8E4M3.toFloat((byte) 0x00));
        assertEquals(-0f, Fp8E4M3.toFloat((byte) 0x80));
        assertEquals(0x1p-9f, Fp8E4M3.toFloat((byte) 0x01), "smallest subnormal");
        assertEquals(7 * 0x1p-9f, Fp8E4M3.toFloat((byte) 0x07), "largest subnormal");
        assertEquals(0x1p-6f, Fp8E4M3.toFloat((byte) 0x08), "smallest normal");
        assertEquals(1f, Fp8E4M3.toFloat((byte) 0x38));
        assertEquals(1.125f, Fp8E4M3.toFloat((byte) 0x39));
        assertEquals(448f, Fp8E4M3.toFloat((byte) 0x7E), "largest");
        assertEquals(-448f, Fp8E4M3.toFloat((byte) 0xFE));
        assertTrue(Float.isNaN(Fp8E4M3.toFloat((byte) 0x7F)));
        assertTrue(Float.isNaN(Fp8E4M3.toFloat((byte) 0xFF)));
        assertEquals(240f, Fp8E4M3.toFloat((byte) 0x77), "0x77 = 1.875 * 2^7");
    }

    @Test
    void recognisesDeepseekV3PreTokenizerFromFixture() throws IOException {
        Fixtures.require();
        JsonNode tok = new ObjectMapper().readTree(Fixtures.file("tiny-deepseek/hf/tokenizer.json").toFile());
        assertEquals("deepseek-v3", PreTokenizers.recognise(tok.get("pre_tokenizer")));
    }

    @Test
    void recognisesLlama3AndGpt2AndRefusesOthers() throws IOException {
        ObjectMapper om = new ObjectMapper();
        String llama3 = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                + om.writeValueAsString("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
                + "},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}";
        assertEquals("llama-bpe", PreTokenizers.recognise(om.readTree(llama3)));
        assertEquals("gpt-2", PreTokenizers.recognise(om.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}")));
        assertNull(PreTokenizers.recognise(om.readTree("{\"type\":\"Whitespace\"}")));
        assertNull(PreTokenizers.recognise(om.readTree(llama3.replace("{1,3}", "{1,4}"))));
    }

    @Test
    void namesAndSizeLabelsAsGgufPy() {
        assertEquals("Hf", ModelNaming.title("hf"));
        assertEquals("Hf Fp8", ModelNaming.title("hf-fp8"));
        assertEquals("DeepSeek V3", ModelNaming.title("DeepSeek-V3"));
        assertEquals("3.7M", ModelNaming.rounded(3_672_320));
        assertEquals("671B", ModelNaming.rounded(671_026_419_200L));
        assertEquals("24K", ModelNaming.rounded(24_000));
    }

    @Test
    void splitSizesUsePowersOfTen() {
        assertEquals(500_000_000L, SplitPlan.parseSize("500M"));
        assertEquals(5_000_000_000L, SplitPlan.parseSize("5G"));
        assertEquals(1234L, SplitPlan.parseSize("1234"));
    }
}
