package kiln.imatrix;

import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** -mla 0 records attn_kv_b (kv_lora wide, the size llama-quantize checks) and no attn_k_b / attn_v_b. */
class MlaEntriesTest {

    @Test
    void mla0RecordsKvB() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "gguf", "auto", 0);
        Imatrix m = ImatrixFiles.read(kiln);
        ModelTensors mt = ModelTensors.of(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"));
        for (int l = 0; l < 3; l++) {
            String kvb = "blk." + l + ".attn_kv_b.weight";
            assertTrue(m.entries().containsKey(kvb), kvb);
            assertEquals(256, m.get(kvb).size());
            assertNull(m.get("blk." + l + ".attn_k_b.weight"));
            assertNull(m.get("blk." + l + ".attn_v_b.weight"));
            // 16 chunks of 256 tokens, every token multiplied once
            assertEquals(16 * 256f, m.get(kvb).counts()[0]);
        }
        m.entries().values().forEach(e -> mt.check(kiln.toString(), e.name(), e.size()));
        assertFalse(m.entries().containsKey("output.weight"));
    }
}
