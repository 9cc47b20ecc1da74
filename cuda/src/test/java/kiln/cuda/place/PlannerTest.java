package kiln.cuda.place;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The planner's placement and arithmetic, with expectations computed here from the tensor list and the metadata
 * (never from the planner's own figures): the tiny fixtures, and a DeepSeek-R1-sized inventory without data.
 */
class PlannerTest {
    private static final long GIB = 1L << 30;

    private static Inventory fixture(String path) {
        try (GgufFile f = GgufFile.open(Fixtures.file(path))) {
            return Inventory.of(f);
        }
    }

    private static PlanRequest request(int ngl, String ot, long ctx, long... devices) {
        List<OverrideRule> rules = ot == null ? List.of() : OverrideRule.parseList(ot);
        return new PlanRequest(ngl, rules, ctx, GgmlType.F16, GgmlType.F16, 3, 512, devices);
    }

    private static long bytesWhere(Inventory inv, java.util.function.Predicate<String> names) {
        return inv.tensors().stream().filter(t -> names.test(t.name())).mapToLong(TensorInfo::byteSize).sum();
    }

    @Test
    void everyByteIsPlacedOnceAndTheLlamaCacheFollowsItsLayers() {
        Inventory inv = fixture("tiny-llama/mainline/tiny-llama-bf16.gguf");
        ModelShape s = inv.shape();
        Plan p = Planner.plan(inv, request(3, null, 4096, 1 * GIB, 1 * GIB));
        assertEquals(inv.totalBytes(), p.modelBytes()[0] + p.modelBytes()[1] + p.modelBytes()[2], "has output.weight: nothing duplicated");
        // -ngl 3 of 4 layers: layer 0 and the output head on the CPU, 1..3 split by memory (1, 2 → CUDA0; 3 → CUDA1)
        assertEquals(Target.CPU, p.placement().get("blk.0.attn_q.weight"));
        assertEquals(Target.cuda(0), p.placement().get("blk.2.ffn_down.weight"));
        assertEquals(Target.cuda(1), p.placement().get("blk.3.attn_norm.weight"));
        assertEquals(Target.CPU, p.placement().get("output.weight"));
        assertEquals(Target.CPU, p.placement().get("token_embd.weight"));
        assertEquals(bytesWhere(inv, n -> n.startsWith("blk.1.") || n.startsWith("blk.2.")), p.modelBytes()[1]);
        // K and V: head_count_kv × head_dim f16 values per token and layer
        long perLayer = 4096L * 2 * 2 * s.nHeadKv() * s.headK();
        assertEquals(perLayer, p.kvBytes()[0]);
        assertEquals(2 * perLayer, p.kvBytes()[1]);
        assertEquals(perLayer, p.kvBytes()[2]);
        assertTrue(p.fits());
    }

    @Test
    void hybridDeepseekKeepsTheRoutedExpertsOnTheCpuAndTheLatentCacheOnTheGpu() {
        Inventory inv = fixture("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
        Plan p = Planner.plan(inv, request(999, "\\.ffn_.*_exps\\.=CPU", 256, 1 * GIB));
        for (var e : p.placement().entrySet()) {
            boolean cpu = e.getKey().contains("_exps.") || e.getKey().startsWith("token_embd.");
            assertEquals(cpu ? Target.CPU : Target.cuda(0), e.getValue(), e.getKey());
        }
        assertEquals(bytesWhere(inv, n -> n.contains("_exps.") || n.startsWith("token_embd.")), p.modelBytes()[0]);
        // ik's c^KV: kv_lora_rank + n_rot f16 values per token and layer, all layers on CUDA0
        assertEquals(3L * 256 * 2 * (256 + 32), p.kvBytes()[1]);
        assertEquals(0, p.kvBytes()[0]);
    }

    @Test
    void aTiedOutputHeadIsCopiedToItsDevice() {
        Inventory full = fixture("tiny-llama/mainline/tiny-llama-bf16.gguf");
        List<TensorInfo> noOutput = new ArrayList<>(full.tensors());
        noOutput.removeIf(t -> t.name().equals("output.weight"));
        Inventory tied = new Inventory(full.shape(), noOutput);
        long embd = bytesWhere(tied, n -> n.equals("token_embd.weight"));
        Plan p = Planner.plan(tied, request(999, null, 64, GIB));
        assertEquals(tied.totalBytes() + embd, p.modelBytes()[0] + p.modelBytes()[1]);
        assertEquals(embd, p.classBytes()[TensorClass.OUTPUT.ordinal()][1]);
        assertEquals(embd, p.modelBytes()[0], "the embeddings themselves stay on the CPU");
    }

    @Test
    void deepseekR1HybridFitsOn24GiB() {
        Inventory inv = SyntheticInventory.deepseekR1();
        assertEquals(1086, inv.tensors().size());
        Plan p = Planner.plan(inv, request(999, "\\.ffn_.*_exps\\.=CPU", 32768, 24 * GIB));
        assertTrue(p.fits());
        assertEquals(62, p.offloadedLayers());
        assertEquals(bytesWhere(inv, n -> !n.contains("_exps.") && !n.startsWith("token_embd.")), p.modelBytes()[1]);
        assertEquals(61L * 32768 * 2 * (512 + 64), p.kvBytes()[1]);
        double expertShare = bytesWhere(inv, n -> n.contains("_exps.")) / (double) inv.totalBytes();
        assertTrue(expertShare > 0.95 && expertShare < 0.985, "routed experts are ≈ 96-97 % of R1's weights: " + expertShare);
    }

    @Test
    void aPlanThatDoesNotFitNamesWhatWould() {
        Inventory inv = SyntheticInventory.deepseekR1();
        PlanRequest req = request(999, null, 32768, 24 * GIB, 24 * GIB);
        Plan p = Planner.plan(inv, req);
        assertFalse(p.fits());
        List<String> fit = Planner.whatWouldFit(inv, req);
        assertTrue(fit.contains("-ot \"\\.ffn_.*_exps\\.=CPU\""), fit.toString());
        String ngl = fit.stream().filter(f -> f.startsWith("-ngl ")).findFirst().orElseThrow();
        int n = Integer.parseInt(ngl.substring(5));
        assertTrue(Planner.plan(inv, req.withGpuLayers(n)).fits());
        assertFalse(Planner.plan(inv, req.withGpuLayers(n + 1)).fits(), "the most layers that fit");
        String line = Planner.refusal(inv, p);
        assertTrue(line.startsWith("the plan does not fit: CUDA0 needs "), line);
        assertTrue(line.contains("would fit: -ngl " + n), line);
        assertEquals(1, line.lines().count());
    }

    @Test
    void aSmallerContextIsSuggestedWhenTheCacheIsWhatOverflows() {
        Inventory inv = SyntheticInventory.deepseekR1();
        PlanRequest req = request(999, "exps=CPU", 131072, 12 * GIB);
        assertFalse(Planner.plan(inv, req).fits());
        List<String> fit = Planner.whatWouldFit(inv, req);
        String c = fit.stream().filter(f -> f.startsWith("-c ")).findFirst().orElseThrow();
        long ctx = Long.parseLong(c.substring(3));
        assertTrue(Planner.plan(inv, req.withCtx(ctx)).fits());
        assertFalse(Planner.plan(inv, req.withCtx(ctx * 2)).fits());
        assertFalse(fit.stream().anyMatch(f -> f.startsWith("-ot")), "experts are on the CPU already: " + fit);
    }

    @Test
    void nCpuMoeKeepsTheFirstLayersExpertsOnTheCpu() {
        Inventory inv = SyntheticInventory.deepseekR1();
        Plan p = Planner.plan(inv, new PlanRequest(999, OverrideRule.firstLayersExpertsOnCpu(10), 4096, GgmlType.F16, GgmlType.F16, 3, 512,
                new long[] {1024 * GIB}));
        assertEquals(Target.CPU, p.placement().get("blk.9.ffn_up_exps.weight"));
        assertEquals(Target.cuda(0), p.placement().get("blk.10.ffn_up_exps.weight"));
        assertEquals(Target.cuda(0), p.placement().get("blk.9.ffn_up_shexp.weight"));
        assertEquals(bytesWhere(inv, n -> n.startsWith("token_embd.") || n.matches("blk\\.[0-9]\\.ffn_(up|down|gate)_exps\\..*")), p.modelBytes()[0]);
    }
}
