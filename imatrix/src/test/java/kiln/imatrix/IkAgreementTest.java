package kiln.imatrix;

import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kiln's imatrix of an ik-layout file against ik's llama-imatrix (legacy .dat). The structure is ik's exactly: the
 * context padded to 256 (flash attention), so 16 chunks of 256 tokens in batches of 128 → ncall 32 per entry and
 * 32 recorded chunks; each batch of 128 takes ik's prompt path (K/V decompressed with attn_kv_b). With ik's
 * numerics reproduced, every entry, experts included, is within 1e-3 (measured maximum 2.2e-6).
 */
class IkAgreementTest {

    @Test
    void tinyDeepseekIkStructureAndEarlyLayers() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "dat", "auto", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertTrue(k.entries().keySet().containsAll(ref.entries().keySet()));
        assertEquals(32, ref.chunkCount());
        assertEquals(ref.chunkCount(), k.chunkCount());
        for (ImatrixEntry e : ref.entries().values()) {
            assertEquals(e.counts()[0], k.get(e.name()).counts()[0], e.name() + " ncall");
            assertEquals(e.size(), k.get(e.name()).size(), e.name() + " size");
        }
        // -mla 3: attn_k_b / attn_v_b are recorded (ik records none), sized for ik's 2-D tensors (heads pooled)
        assertEquals(64, k.get("blk.0.attn_k_b.weight").size());
        assertEquals(256, k.get("blk.0.attn_v_b.weight").size());
        Collected.Errors all = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(all.maxElement() < 1e-5, "ik's numerics reproduced (measured 2.2e-6): " + all);
        Collected.Errors experts = Collected.compare(ref, k, List.of("blk.1.ffn_down_exps.weight", "blk.2.ffn_down_exps.weight", "blk.2.ffn_up_exps.weight"));
        assertTrue(experts.maxElement() < 1e-5, "routing as ik's: " + experts);
    }

    @Test
    void tinyLlamaIkAgrees() throws Exception {
        Path kiln = Collected.of("tiny-llama/mainline/tiny-llama-bf16.gguf", "dat", "ik", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-llama/ik/tiny-llama.imatrix"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertEquals(ref.entries().keySet(), k.entries().keySet());
        assertEquals(ref.chunkCount(), k.chunkCount());
        Collected.Errors e = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(e.maxElement() < 1e-5, "ik's numerics reproduced (measured 6.2e-7): " + e);
    }
}
