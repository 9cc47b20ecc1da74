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
 * 32 recorded chunks. The values agree to 1e-3 before the first attention; after it Kiln's attention numerics
 * differ from ik's by ~1e-3 and MoE routing flips for some tokens, so expert entries differ more (measured
 * maximum 0.51 on one expert column of blk.2.ffn_down_exps; a known gap, see README).
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
        Collected.Errors early = Collected.compare(ref, k, List.of("blk.0.attn_q_a.weight", "blk.0.attn_kv_a_mqa.weight", "blk.0.attn_q_b.weight"));
        assertTrue(early.maxElement() < 1e-3, early.toString());
        Collected.Errors all = Collected.compare(ref, k, ref.entries().keySet());
        System.out.println("ik tiny-deepseek, all entries: " + all);
        Collected.Errors layer0 = Collected.compare(ref, k, ref.entries().keySet().stream().filter(n -> n.startsWith("blk.0.")).toList());
        assertTrue(layer0.maxElement() < 5e-3, layer0.toString());
    }

    @Test
    void tinyLlamaIkAgrees() throws Exception {
        Path kiln = Collected.of("tiny-llama/mainline/tiny-llama-bf16.gguf", "dat", "ik", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-llama/ik/tiny-llama.imatrix"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertEquals(ref.entries().keySet(), k.entries().keySet());
        assertEquals(ref.chunkCount(), k.chunkCount());
        Collected.Errors e = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(e.maxElement() < 1.5e-3, e.toString());
    }
}
