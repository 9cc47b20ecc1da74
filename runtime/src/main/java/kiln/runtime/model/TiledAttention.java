package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Kernels;
import kiln.runtime.kernel.WorkerPool;

import java.util.Arrays;

/**
 * Causal attention with Kiln's own numerics (f32 arithmetic over the decoded cache), flash-attention style. A task
 * takes a tile of query rows — a few consecutive tokens of one sequence × a range of heads — and walks the cache
 * {@link #BLOCK} rows at a time with an online softmax: a running maximum and sum per query row, the partial value
 * sums rescaled when the maximum grows. Each cached row is decoded once per tile (not once per token and head, and
 * not again for the values), a block's scores are one small matrix product per K/V head ({@link Kernels#dotTile}:
 * 4×4 register tiles), and the value sums read each decoded block once per query row. Tiles are handed out longest
 * first (the last tokens of a causal batch see the most cache). A batch with fewer tiles than threads (generation)
 * splits the cache over the threads instead (flash decoding): each task walks its share of the blocks for all
 * heads, and a second step merges the parts. Every cached row is read once per token, however many threads.
 *
 * <p>Two layouts: standard (K rows of nKv·dk, V rows of nKv·dv in their own store; a query head reads K/V head
 * h / group) and latent (MLA absorbed: every head reads the one cached row [latent kvl | rope], and its values are
 * the row's first kvl; the query is [absorbed q_nope (kvl) | q_rope (rope)]).
 */
final class TiledAttention {
    /** Cache rows per block. */
    static final int BLOCK = 32;
    /** Query rows (tokens × heads) a tile aims for: its scores, values and query stay in the core's L2. */
    private static final int TILE_ROWS = 64;
    /** Most tokens per tile. */
    private static final int MAX_TOKENS = 8;
    /** Fewest cache rows a split-cache task takes. */
    private static final int MIN_CHUNK = 4 * BLOCK;

    private final Backend backend;
    private final Kernels k;
    private final BatchCells cells;
    private final int maxRows;
    private final float[][] query, scores, sums, keys, values, runMax, runSum;
    /** Split-cache partial results, one slot per task: value sums, then each row's running maximum and sum. */
    private final float[][] partSums, partMax, partSum;
    private final WorkerPool.Body body = this::task, mergeBody = this::merge;

    /**
     * One form of attention the scratch must serve: nHead query heads, group of them per K/V head (nHead: every head
     * reads one cached row, as in the latent layout), a head's query and output lengths, and its K and V widths in the
     * cache rows (vHead 0: the values are the first {@code out} of the K row).
     */
    record Shape(int nHead, int group, int query, int out, int kHead, int vHead) {}

    /**
     * @param cells  where the batch's tokens sit in the cache (the model's)
     * @param shapes every form this model runs (the scratch is sized for the largest)
     */
    TiledAttention(Backend backend, BatchCells cells, Shape... shapes) {
        this.backend = backend;
        this.k = backend.kernels();
        this.cells = cells;
        int rows = TILE_ROWS, query = 0, outs = 0, kRow = 0, vRow = 0;
        for (Shape s : shapes) rows = Math.max(rows, s.group());
        this.maxRows = rows;
        for (Shape s : shapes) {
            int heads = headsPerTask(s.nHead(), s.group(), maxRows), kvHeads = s.group() == s.nHead() ? 1 : heads / s.group();
            query = Math.max(query, s.query());
            outs = Math.max(outs, s.out());
            kRow = Math.max(kRow, kvHeads * s.kHead());
            vRow = Math.max(vRow, kvHeads * s.vHead());
        }
        int threads = backend.threads();
        this.query = new float[threads][maxRows * query];
        scores = new float[threads][maxRows * BLOCK];
        sums = new float[threads][maxRows * outs];
        keys = new float[threads][BLOCK * kRow];
        values = new float[threads][BLOCK * vRow];
        runMax = new float[threads][maxRows];
        runSum = new float[threads][maxRows];
        int slots = threads > 1 ? 2 * threads : 0; // split only when tiles × head chunks < threads: fewer than 2·threads tasks
        partSums = new float[slots][maxRows * outs];
        partMax = new float[slots][maxRows];
        partSum = new float[slots][maxRows];
    }

    /**
     * Heads a task takes: all (up to a tile's rows) when they read one cached row; otherwise whole K/V groups, as
     * many as leave room for {@link #MAX_TOKENS} tokens (a K/V head's block is shared by its group × the tokens).
     */
    private static int headsPerTask(int nHead, int group, int maxRows) {
        if (group == nHead) return Math.min(nHead, maxRows);
        return Math.min(nHead, Math.max(1, maxRows / MAX_TOKENS / group) * group);
    }

    // the call in flight
    private KvStore kc, vc;
    private int layer, pos0, perSeq, nHead, group, kHead, vHead, dq, dOut, outStride;
    private float[] q, qpe, out;
    private int qStride, qHeadStride, qLen, qpeStride, qpeHeadStride, qpeOff;
    private float scale;
    private int tokensPerTile, tilesPerSeq, tiles, headsPerTask, headChunks, cacheChunks;

    /**
     * Standard attention: q n rows (stride qStride) of nHead·dk; K rows nKv·dk, V rows nKv·dv; out n rows (stride
     * outStride) of nHead·dv. Where token t sits in the cache: {@link BatchCells}.
     */
    void standard(KvStore kc, KvStore vc, int layer, int pos0, int n, float[] q, int qStride, int nHead,
                  int nKv, int dk, int dv, float scale, float[] out, int outStride) {
        this.kc = kc;
        this.vc = vc;
        this.q = q;
        this.qStride = qStride;
        this.qHeadStride = dk;
        this.qLen = dk;
        this.qpe = null;
        this.group = nHead / nKv;
        this.kHead = dk;
        this.vHead = dv;
        this.dq = dk;
        this.dOut = dv;
        run(layer, pos0, n, nHead, scale, out, outStride);
    }

    /**
     * MLA absorbed: qAbs n rows of nHead·kvl; the rope part of head h of token t at qpe[t·qpeStride + h·headStride +
     * qpeOff]; cache rows [latent kvl | rope]; out n rows of nHead·kvl.
     */
    void latent(KvStore kc, int layer, int pos0, int n, float[] qAbs, int nHead, int kvl, int rope,
                float[] qpe, int qpeStride, int headStride, int qpeOff, float scale, float[] out) {
        this.kc = kc;
        this.vc = null;
        this.q = qAbs;
        this.qStride = nHead * kvl;
        this.qHeadStride = kvl;
        this.qLen = kvl;
        this.qpe = qpe;
        this.qpeStride = qpeStride;
        this.qpeHeadStride = headStride;
        this.qpeOff = qpeOff;
        this.group = nHead;
        this.kHead = kvl + rope;
        this.vHead = kvl;
        this.dq = kvl + rope;
        this.dOut = kvl;
        run(layer, pos0, n, nHead, scale, out, nHead * kvl);
    }

    private void run(int layer, int pos0, int n, int nHead, float scale, float[] out, int outStride) {
        this.layer = layer;
        this.pos0 = pos0;
        this.nHead = nHead;
        this.scale = scale;
        this.out = out;
        this.outStride = outStride;
        perSeq = cells.perSequence(n);
        int threads = backend.threads();
        headsPerTask = headsPerTask(nHead, group, maxRows);
        tokensPerTile = Math.clamp(maxRows / headsPerTask, 1, Math.min(MAX_TOKENS, perSeq));
        tilesPerSeq = (perSeq + tokensPerTile - 1) / tokensPerTile;
        tiles = (n / perSeq) * tilesPerSeq;
        headChunks = (nHead + headsPerTask - 1) / headsPerTask;
        // generation and other small batches: the cache itself is split over the threads (flash decoding), so each
        // cached row is still read once, and the partial results are merged afterwards
        int units = tiles * headChunks;
        int span = cells.span(n, pos0);
        cacheChunks = units >= threads ? 1 : Math.min((threads + units - 1) / units, (span + MIN_CHUNK - 1) / MIN_CHUNK);
        backend.pool().run(units * cacheChunks, body);
        if (cacheChunks > 1) backend.pool().run(units * headsPerTask, mergeBody);
    }

    // a unit of work is (tile, chunk of heads); tiles are numbered per sequence, units run the longest tiles first

    private int tileOf(int unit) {
        return tiles - 1 - unit / headChunks;
    }

    private int firstHeadOf(int unit) {
        return (unit % headChunks) * headsPerTask;
    }

    /** The batch index of a tile's first token. */
    private int firstTokenOf(int tile) {
        return tile / tilesPerSeq * perSeq + tile % tilesPerSeq * tokensPerTile;
    }

    private int tokensOf(int tile) {
        return Math.min(tokensPerTile, perSeq - tile % tilesPerSeq * tokensPerTile);
    }

    private void task(int task, int worker) {
        int unit = task / cacheChunks, chunk = task % cacheChunks;
        int tile = tileOf(unit);
        int h0 = firstHeadOf(unit), h1 = Math.min(nHead, h0 + headsPerTask);
        int t0 = firstTokenOf(tile), nt = tokensOf(tile), nh = h1 - h0, rows = nt * nh;
        int p0 = cells.pos(t0, pos0), base = cells.base(t0), last = p0 + nt - 1;
        // this task's cache rows [from, to): a share of whole blocks
        int perChunk = ((last + 1 + cacheChunks - 1) / cacheChunks + BLOCK - 1) / BLOCK * BLOCK;
        int from = chunk * perChunk, to = Math.min(last + 1, from + perChunk);
        boolean split = cacheChunks > 1;
        float[] qt = query[worker], sc = scores[worker], kb = keys[worker], vb = values[worker];
        float[] acc = split ? partSums[task] : sums[worker], mx = split ? partMax[task] : runMax[worker], sm = split ? partSum[task] : runSum[worker];
        // query rows head-major: row (h − h0)·nt + i is token t0 + i, head h
        for (int h = h0; h < h1; h++) {
            for (int i = 0; i < nt; i++) {
                int r = (h - h0) * nt + i, t = t0 + i;
                System.arraycopy(q, t * qStride + h * qHeadStride, qt, r * dq, qLen);
                if (qpe != null) System.arraycopy(qpe, t * qpeStride + h * qpeHeadStride + qpeOff, qt, r * dq + qLen, dq - qLen);
            }
        }
        Arrays.fill(mx, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(sm, 0, rows, 0f);
        Arrays.fill(acc, 0, rows * dOut, 0f);
        int g0 = h0 / group, g1 = (h1 - 1) / group + 1;
        int kWidth = (g1 - g0) * kHead, vWidth = vc == null ? kWidth : (g1 - g0) * vHead;
        float[] vSrc = vc == null ? kb : vb;
        for (int j0 = from; j0 < to; j0 += BLOCK) {
            int nb = Math.min(BLOCK, to - j0);
            for (int j = 0; j < nb; j++) {
                kc.get(layer, base + j0 + j, g0 * kHead, kWidth, kb, j * kWidth);
                if (vc != null) vc.get(layer, base + j0 + j, g0 * vHead, vWidth, vb, j * vWidth);
            }
            for (int g = g0; g < g1; g++) {
                int ha = Math.max(h0, g * group), hb = Math.min(h1, (g + 1) * group);
                int ra = (ha - h0) * nt, rb = (hb - h0) * nt;
                k.dotTile(qt, ra * dq, dq, rb - ra, kb, (g - g0) * kHead, kWidth, nb, dq, sc, ra * BLOCK, BLOCK);
                int vo = vc == null ? 0 : (g - g0) * vHead;
                for (int r = ra; r < rb; r++) {
                    int visible = Math.min(nb, p0 + r % nt - j0 + 1); // causal: cache rows up to the token's position
                    if (visible <= 0) continue;
                    int so = r * BLOCK;
                    float m = mx[r];
                    for (int j = 0; j < visible; j++) {
                        float s = sc[so + j] * scale;
                        sc[so + j] = s;
                        m = Math.max(m, s);
                    }
                    if (m > mx[r]) { // a new maximum: what was summed so far shrinks (nothing was, on the first block)
                        if (mx[r] != Float.NEGATIVE_INFINITY) {
                            float shrink = (float) Math.exp(mx[r] - m); // may underflow to 0: then so do the old terms
                            sm[r] *= shrink;
                            for (int i = r * dOut, e = i + dOut; i < e; i++) acc[i] *= shrink;
                        }
                        mx[r] = m;
                    }
                    sm[r] += k.expShifted(sc, so, visible, m);
                }
                addValues(sc, vSrc, vo, vWidth, acc, ra, rb, nt, p0 - j0, nb);
            }
        }
        if (split) return; // merged by merge()
        for (int h = h0; h < h1; h++) {
            for (int i = 0; i < nt; i++) {
                int r = (h - h0) * nt + i, o = (t0 + i) * outStride + h * dOut;
                float inv = 1.0f / sm[r];
                for (int c = 0; c < dOut; c++) out[o + c] = acc[r * dOut + c] * inv;
            }
        }
    }

    /**
     * The value sums of query rows [ra, rb) (rows of one K/V head: head-major, nt tokens per head) over a block of
     * nb cached rows, weighted by their softmax terms in sc: query rows that see the same cached rows go through
     * one {@link Kernels#addWeightedRowsTile} (each value vector loaded once for several rows) — the heads of a token
     * when a K/V head serves several, otherwise the tokens of the head that see the whole block. Token i sees
     * cached rows up to {@code diag + i} of the block. Every sum gets the same operations as row by row.
     */
    private void addValues(float[] sc, float[] vSrc, int vo, int vWidth, float[] acc, int ra, int rb, int nt, int diag, int nb) {
        int heads = (rb - ra) / nt;
        if (heads > 1) { // per token, all the heads: rows nt apart
            for (int i = 0; i < nt; i++) {
                int visible = Math.min(nb, diag + i + 1);
                if (visible > 0) k.addWeightedRowsTile(sc, (ra + i) * BLOCK, nt * BLOCK, heads, vSrc, vo, vWidth, visible, acc, (ra + i) * dOut, nt * dOut, dOut);
            }
            return;
        }
        // one head: its tokens that see the whole block together, the ones on the diagonal one by one
        int whole = Math.clamp(nb - 1 - diag, 0, nt); // the first token that sees the whole block
        for (int i = 0; i < whole; i++) {
            int visible = diag + i + 1;
            if (visible > 0) k.addWeightedRows(sc, (ra + i) * BLOCK, vSrc, vo, vWidth, visible, acc, (ra + i) * dOut, dOut);
        }
        if (whole < nt) k.addWeightedRowsTile(sc, (ra + whole) * BLOCK, BLOCK, nt - whole, vSrc, vo, vWidth, nb, acc, (ra + whole) * dOut, dOut, dOut);
    }

    /**
     * Merges the split-cache partial results of one head (all tokens of its tile): each part's sums weigh
     * exp(its maximum − the overall maximum). Task = unit · headsPerTask + head within the unit.
     */
    private void merge(int task, int worker) {
        int unit = task / headsPerTask, hh = task % headsPerTask;
        int h = firstHeadOf(unit) + hh;
        if (h >= nHead) return;
        int tile = tileOf(unit), t0 = firstTokenOf(tile), nt = tokensOf(tile);
        float[] acc = sums[worker];
        for (int i = 0; i < nt; i++) {
            int r = hh * nt + i, slot0 = unit * cacheChunks;
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cacheChunks; c++) m = Math.max(m, partMax[slot0 + c][r]);
            float total = 0;
            java.util.Arrays.fill(acc, 0, dOut, 0f);
            for (int c = 0; c < cacheChunks; c++) {
                float[] mx = partMax[slot0 + c];
                if (mx[r] == Float.NEGATIVE_INFINITY) continue; // an empty part (the tile's cache was shorter)
                float w = (float) Math.exp(mx[r] - m);
                total += w * partSum[slot0 + c][r];
                k.axpy(w, partSums[slot0 + c], r * dOut, acc, 0, dOut);
            }
            int o = (t0 + i) * outStride + h * dOut;
            float inv = 1.0f / total;
            for (int c = 0; c < dOut; c++) out[o + c] = acc[c] * inv;
        }
    }
}
