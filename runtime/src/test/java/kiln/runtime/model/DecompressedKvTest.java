package kiln.runtime.model;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * -mla 3 prompts with the decompressed K/V kept per layer across micro-batches give bit-identical logits to
 * recomputing them every batch, through a sweep-bench-like sequence (prompts in awkward micro-batches, generation
 * steps on the latent path in between, rewinds that overwrite kept cells), whether all, some or no layers are kept.
 */
class DecompressedKvTest {
    private static final String FILE = "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";
    /** (position, tokens, prompt?) — a prompt rewinds onto cells the generation before it wrote. */
    private static final int[][] STEPS = {{0, 20, 1}, {20, 1, 0}, {21, 1, 0}, {22, 1, 0}, {20, 13, 1}, {33, 1, 0}, {34, 1, 0},
            {33, 17, 1}, {5, 9, 1}, {14, 1, 0}, {14, 30, 1}};

    private record Run(float[] logits, long cells, int keptLayers) {}

    private static Run run(int keptLayers, int ubatch) {
        return run(keptLayers, ubatch, 64, -1);
    }

    /** The steps with -c nCtx and -amb ambMiB (-1: not given); keptLayers -1: as the bound decides. */
    private static Run run(int keptLayers, int ubatch, int nCtx, int ambMiB) {
        Fixtures.require();
        ModelOptions opt = ModelOptions.defaults().withCtx(nCtx).withThreads(2).withMla(3).withUbatch(ubatch).withCache("f16", "f16").withNumerics("fast")
                .withAttentionMaxBatch(ambMiB);
        try (DeepseekModel m = (DeepseekModel) ModelLoader.load(Fixtures.file(FILE), opt)) {
            m.keepDecompressedLayers = keptLayers;
            int[] ids = m.tokenizer().encode(Reference.text("tiny-deepseek/text/prompt.txt"), true);
            int total = 0;
            for (int[] s : STEPS) total += s[1];
            float[] all = new float[total * m.nVocab()];
            int at = 0;
            for (int step = 0; step < STEPS.length; step++) {
                int[] s = STEPS[step];
                int[] tokens = new int[s[1]]; // other tokens at every step: a rewind really changes the cells
                for (int i = 0; i < s[1]; i++) tokens[i] = ids[(s[0] + i + 3 * step) % ids.length];
                m.forceDecompression = s[2] == 1; // generation steps write the latent cache without decompressing
                float[] logits = new float[s[1] * m.nVocab()];
                m.evaluate(tokens, 0, s[1], s[0], logits, true);
                System.arraycopy(logits, 0, all, at, logits.length);
                at += logits.length;
            }
            assertTrue(m.decompressedBatches > 0, "the decompressed path ran");
            return new Run(all, m.decompressedCells, m.decompressed.keptLayers());
        }
    }

    /**
     * The kept cells are bit-identical to recomputed ones, but two model instances in one JVM are not: the JIT
     * compiles the kernels between runs (the Vector API's interpreted and compiled reductions sum in different
     * orders), which moves logits by up to ~5e-5 here (0 once warm). A stale cell (a rewind's new tokens, or a
     * write that did not lower the mark) moves them by ~10.
     */
    private static final double SAME = 1e-3;

    @Test
    void keptCellsGiveTheSameLogitsAsRecomputingThem() {
        run(-1, 7); // warm-up: compiled kernels for all the runs compared
        run(-1, 16);
        for (int ubatch : new int[] {7, 16}) {
            Run none = run(0, ubatch), some = run(2, ubatch), all = run(-1, ubatch);
            System.out.printf("ubatch %d: cells decompressed: none kept %d, one of three layers kept %d, all kept %d%n",
                    ubatch, none.cells(), some.cells(), all.cells());
            double dSome = MlaModesTest.maxAbs(none.logits(), some.logits()), dAll = MlaModesTest.maxAbs(none.logits(), all.logits());
            System.out.printf("ubatch %d: max |dlogit| against recomputing: one layer kept %.2g, all kept %.2g%n", ubatch, dSome, dAll);
            assertTrue(dSome < SAME, "one layer kept, ubatch " + ubatch + ": " + dSome);
            assertTrue(dAll < SAME, "all layers kept, ubatch " + ubatch + ": " + dAll);
            assertTrue(some.cells() < none.cells(), "keeping one layer decompresses fewer cells");
            assertTrue(all.cells() < some.cells(), "keeping every layer decompresses fewer still");
        }
    }

    /**
     * -amb N bounds the kept layers in MiB. At -c 2048 a layer of the fixture (4 heads, K 64+32, V 64) takes
     * 2048 × 4 × (96 + 64) × 2 bytes = 2.5 MiB: -amb 3 keeps none (one layer's worth is the shared store), -amb 6
     * keeps one beside it, -amb 8 all three; the logits are those of the default bound (all kept) either way.
     */
    @Test
    void ambBoundsTheKeptLayersAndKeepsTheLogits() {
        long perLayer = 2048L * 4 * (96 + 64) * 2;
        assertEquals(perLayer, DecompressedKv.layerBytes(2048, 4 * 96, 4 * 64));
        run(-1, 16, 2048, -1); // warm-up, as above
        Run dflt = run(-1, 16, 2048, -1), none = run(-1, 16, 2048, 3), one = run(-1, 16, 2048, 6), all = run(-1, 16, 2048, 8);
        assertEquals(3, dflt.keptLayers(), "the default bound keeps every layer of the fixture");
        assertEquals(0, none.keptLayers(), "-amb 3");
        assertEquals(1, one.keptLayers(), "-amb 6");
        assertEquals(3, all.keptLayers(), "-amb 8");
        assertTrue(none.cells() > one.cells() && one.cells() > all.cells(), "fewer kept layers decompress more cells");
        for (Run r : new Run[] {none, one, all}) {
            double d = MlaModesTest.maxAbs(dflt.logits(), r.logits());
            System.out.printf("-amb keeping %d layers: max |dlogit| against the default bound %.2g%n", r.keptLayers(), d);
            assertTrue(d < SAME, r.keptLayers() + " layers kept: " + d);
        }
    }

    @Test
    void ambIsTheBoundInMibCappedAtAQuarterOfTheHeap() {
        long gib = 1L << 30;
        assertEquals(2 * gib, DecompressedKv.keptBudget(-1, 16 * gib), "default: 2 GiB");
        assertEquals(gib / 2, DecompressedKv.keptBudget(-1, 2 * gib), "default: a quarter of a small heap");
        assertEquals(512L << 20, DecompressedKv.keptBudget(512, 16 * gib));
        assertEquals(3L << 20, DecompressedKv.keptBudget(3, 16 * gib));
        assertEquals(4 * gib, DecompressedKv.keptBudget(8192, 16 * gib), "-amb past a quarter of the heap");
        assertEquals(4 * gib, DecompressedKv.keptBudget(0, 16 * gib), "-amb 0 (ik: no bound): a quarter of the heap");
        assertEquals(0, DecompressedKv.keptFor(27, 10L << 20, 10L << 20), "one layer's worth is the shared store");
        assertEquals(2, DecompressedKv.keptFor(27, 10L << 20, 35L << 20));
        assertEquals(27, DecompressedKv.keptFor(27, 10L << 20, 270L << 20));
    }

    @Test
    void bookkeeping() {
        DecompressedKv d = new DecompressedKv(3, 40, 8, 4, 8, 2 * DecompressedKv.layerBytes(40, 8, 4));
        assertEquals(1, d.keptLayers(), "two layers' worth: one kept beside the shared store");
        assertEquals(2, d.k.length);
        assertEquals(0, d.firstStale(0));
        d.filled(0, 21);
        assertEquals(16, d.firstStale(0), "only full chunks stay valid");
        d.written(0, 30);
        assertEquals(16, d.firstStale(0), "a write above the mark changes nothing");
        d.written(0, 11);
        assertEquals(8, d.firstStale(0), "a write below the mark lowers it to its chunk");
        d.filled(1, 40);
        assertEquals(40, d.firstStale(1), "the shared store's owner keeps its cells");
        d.filled(2, 40);
        assertEquals(0, d.firstStale(1), "another layer took the shared store");
        assertEquals(40, d.firstStale(2));
        d.written(2, 64);
        assertEquals(40, d.firstStale(2), "cells of other sequences (≥ nCtx) do not touch sequence 0's");
        DecompressedKv all = new DecompressedKv(3, 40, 8, 4, 8, Long.MAX_VALUE);
        assertEquals(3, all.keptLayers());
        assertEquals(3, all.k.length);
        DecompressedKv none = new DecompressedKv(3, 40, 8, 4, 8, 0);
        assertEquals(0, none.keptLayers());
        assertEquals(1, none.k.length);
        assertEquals(Arrays.asList(0, 0, 0), Arrays.asList(none.store(0), none.store(1), none.store(2)));
    }
}
