package kiln.runtime.model;

/**
 * The per-head K and V that -mla 2/3 prompt batches decompress from the latent cache (f16, cells 0..nCtx of
 * sequence 0), kept per layer across micro-batches within a memory bound, so a batch decompresses only the cells
 * that changed since the last one instead of the whole context.
 *
 * <p>Layers {@code 0..kept} own a store each; the rest share one, which holds whichever layer used it last (their
 * cells are recomputed every batch, as without keeping). Cells are recomputed in whole micro-batch chunks
 * ({@code 0, ub, 2·ub, …}) and only full chunks count as valid, so every kept row was computed in the same chunk
 * of the same size as a full recomputation would: the result is bit-identical to recomputing everything.
 * Any write to the latent cache of a layer at a cell below the valid mark ({@link #written}) lowers the mark.
 */
final class DecompressedKv {
    /** The most heap the kept layers take together without -amb (and at most a quarter of the heap). */
    static final long MAX_KEPT_BYTES = 2L << 30;

    final KvStore[] k, v;
    private final int chunk, nCtx;
    /** Per layer: cells [0, valid) hold the decompression of the current latent cache (-1: the shared store). */
    private final int[] valid;
    private final int kept;
    /** The layer whose cells the shared store holds (-1: none). */
    private int sharedOwner = -1;

    /**
     * @param nLayer  layers of the model
     * @param nCtx    cells of one sequence
     * @param kWidth  K values per cell (heads × dk), vWidth: V values per cell
     * @param chunk   the micro-batch size, the unit of recomputation
     * @param budget  bytes the kept layers may take
     */
    DecompressedKv(int nLayer, int nCtx, int kWidth, int vWidth, int chunk, long budget) {
        this.chunk = chunk;
        this.nCtx = nCtx;
        this.kept = keptFor(nLayer, layerBytes(nCtx, kWidth, vWidth), budget);
        int stores = kept == nLayer ? nLayer : kept + 1;
        k = new KvStore[stores];
        v = new KvStore[stores];
        for (int i = 0; i < stores; i++) {
            k[i] = new KvStore(KvStore.Type.F16, 1, nCtx, kWidth);
            v[i] = new KvStore(KvStore.Type.F16, 1, nCtx, vWidth);
        }
        valid = new int[nLayer];
    }

    /**
     * The layers a budget keeps: the shared store is one layer too, so all layers only if they all fit, otherwise
     * all that fit beside it.
     */
    static int keptFor(int nLayer, long perLayer, long budget) {
        int fit = (int) Math.min(nLayer, Math.max(0, budget / perLayer));
        return fit >= nLayer ? nLayer : Math.max(0, fit - 1);
    }

    /**
     * The bytes the kept layers may take: {@code -amb N} MiB when given (ik_llama.cpp's attention bound, in MiB; 0 as
     * in ik: no bound of its own), else {@link #MAX_KEPT_BYTES}; never more than a quarter of the heap.
     *
     * @param ambMiB  the -amb value, or -1 when not given
     * @param maxHeap the JVM's maximum heap ({@link Runtime#maxMemory})
     */
    static long keptBudget(int ambMiB, long maxHeap) {
        long quarter = maxHeap / 4;
        if (ambMiB < 0) return Math.min(MAX_KEPT_BYTES, quarter);
        return ambMiB == 0 ? quarter : Math.min((long) ambMiB << 20, quarter);
    }

    /**
     * The load line on the bound: "decompressed K/V (f16) kept for 2 of 27 layers (10.00 MiB each at n_ctx), bound
     * 25.00 MiB (-amb 25)" — what {@link #keptBudget} and the constructor make of it.
     */
    static String boundLine(int nLayer, long perLayer, long budget, int ambMiB) {
        return String.format(java.util.Locale.ROOT, "decompressed K/V (f16) kept for %d of %d layers (%.2f MiB each at n_ctx), bound %.2f MiB (%s)",
                keptFor(nLayer, perLayer, budget), nLayer, perLayer / 1048576.0, budget / 1048576.0,
                ambMiB < 0 ? "default: min(2 GiB, heap/4)" : ambMiB == 0 ? "-amb 0: heap/4" : "-amb " + ambMiB);
    }

    /** The heap one layer's store takes. */
    static long layerBytes(int nCtx, int kWidth, int vWidth) {
        return KvStore.heapBytes(KvStore.Type.F16, 1, nCtx, kWidth) + KvStore.heapBytes(KvStore.Type.F16, 1, nCtx, vWidth);
    }

    /** Layers that keep their cells across batches. */
    int keptLayers() {
        return kept;
    }

    /** The store index of a layer. */
    int store(int layer) {
        return Math.min(layer, kept);
    }

    /** The latent cache of a layer changed at a cell: decompressed cells from there on are stale. */
    void written(int layer, int cell) {
        if (cell < nCtx && cell < valid[layer]) valid[layer] = cell;
    }

    /**
     * The first cell a batch that needs cells [0, cells) of a layer must decompress (a multiple of the chunk; 0
     * for a layer in the shared store that another layer used last).
     */
    int firstStale(int layer) {
        if (layer >= kept && sharedOwner != layer) return 0;
        return Math.min(valid[layer], nCtx) / chunk * chunk;
    }

    /** Cells [0, cells) of a layer are now decompressed; the full chunks among them stay valid. */
    void filled(int layer, int cells) {
        valid[layer] = cells / chunk * chunk;
        if (layer >= kept) sharedOwner = layer;
    }
}
