package kiln.runtime.model;

import kiln.runtime.kernel.Backend;

/**
 * Causal attention over the KV cache for a micro-batch. Two forms: standard multi-head (with grouped KV heads; Llama
 * and DeepSeek -mla 0) and MLA "absorbed" (DeepSeek -mla 1..3: scores against the cached compressed latent plus the
 * shared rope part). Kiln's numerics run {@link TiledAttention}; the tools' numerics with an f16 cache reproduce
 * ggml's f16 flash attention here, one token and head at a time, per-thread scratch allocated once.
 */
final class Attention {
    private final Backend backend;
    private final TiledAttention tiled;
    /** Where the batch's tokens sit in the cache (the model's, shared with {@link TiledAttention}). */
    private final BatchCells cells;
    private final float[][] row;

    private final float[][] qh, acc;
    /**
     * Reproduce the tools' CPU flash attention with an f16 cache: Q rounded to f16, online softmax, and the V
     * accumulator kept in f16 (ggml_vec_mad_f16 / ggml_vec_scale_f16). Off: plain f32 attention.
     */
    private final boolean ggmlF16;

    /**
     * @param maxRowWidth the widest cache row or head query (scratch of the ggml form)
     * @param maxOut      the longest value row of one head
     * @param tiled       the form for Kiln's numerics, sized for this model (reading the same cells)
     *                    (the form follows the backend's {@link kiln.runtime.kernel.Numerics}, fixed at load)
     */
    Attention(Backend backend, BatchCells cells, int maxRowWidth, int maxOut, TiledAttention tiled) {
        this.backend = backend;
        this.ggmlF16 = backend.numerics().ggmlFlashAttention();
        this.fusedSum = backend.numerics().mainlineForms();
        this.ropeFirst = backend.numerics().ikForms();
        this.tiled = tiled;
        this.cells = cells;
        this.row = new float[backend.threads()][maxRowWidth];
        this.qh = new float[backend.threads()][maxRowWidth];
        this.acc = new float[backend.threads()][maxOut];
        this.softmaxState = new float[backend.threads()][2];
    }

    /** mainline's build contracts the running sum S·ms + vs into an FMA, ik's does not. */
    private final boolean fusedSum;
    /** ik caches the latent as [rope | latent], so its K·Q dot runs over the rope part first. */
    private final boolean ropeFirst;

    private static float h(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    // arguments of the call in flight
    private KvStore kc, vc;
    private float[] q, out, qpe;
    private int layer, pos0, nHead, group, dk, dv, qStride, outStride, kvl, rope, qpeOff, qpeStride;
    private float scale;
    private final kiln.runtime.kernel.WorkerPool.Body standardBody = this::standardTask;
    private final kiln.runtime.kernel.WorkerPool.Body latentBody = this::latentTask;

    /**
     * q: n rows of nHead·dk (stride qStride); K rows: nKv·dk; V rows: nKv·dv; out: n rows of nHead·dv.
     */
    void standard(KvStore kc, KvStore vc, int layer, int pos0, int n, float[] q, int qStride, int nHead, int nKv,
                  int dk, int dv, float scale, float[] out, int outStride) {
        if (!(ggmlF16 && kc.type == KvStore.Type.F16 && vc.type == KvStore.Type.F16)) {
            tiled.standard(kc, vc, layer, pos0, n, q, qStride, nHead, nKv, dk, dv, scale, out, outStride);
            return;
        }
        this.kc = kc;
        this.vc = vc;
        this.layer = layer;
        this.pos0 = pos0;
        this.q = q;
        this.qStride = qStride;
        this.nHead = nHead;
        this.group = nHead / nKv;
        this.dk = dk;
        this.dv = dv;
        this.scale = scale;
        this.out = out;
        this.outStride = outStride;
        backend.pool().run(split(n), standardBody);
    }

    // heads [h0, h1) of token t for a task: a batch smaller than the pool is split over heads as well
    private int headsPerTask, groupsPerToken;

    private int split(int n) {
        int threads = backend.threads();
        headsPerTask = n >= threads ? nHead : Math.max(1, (nHead * n + threads - 1) / threads);
        if (group > 1) headsPerTask = ((headsPerTask + group - 1) / group) * group; // keep GQA groups together
        headsPerTask = Math.min(headsPerTask, nHead);
        groupsPerToken = (nHead + headsPerTask - 1) / headsPerTask;
        return n * groupsPerToken;
    }

    private void standardTask(int task, int worker) {
        int t = task / groupsPerToken, h0 = (task % groupsPerToken) * headsPerTask, h1 = Math.min(nHead, h0 + headsPerTask);
        standardGgml(t, h0, h1, worker);
    }

    /**
     * MLA absorbed: qAbs n rows of nHead·kvl; rope part of head h of token t at qpe[t·qpeStride + h·headStride + qpeOff];
     * cache rows [latent kvl | rope]; out: n rows of nHead·kvl (attention-weighted latent per head).
     */
    void latent(KvStore kc, int layer, int pos0, int n, float[] qAbs, int nHead, int kvl, int rope,
                float[] qpe, int qpeStride, int headStride, int qpeOff, float scale, float[] out) {
        if (!(ggmlF16 && kc.type == KvStore.Type.F16)) {
            tiled.latent(kc, layer, pos0, n, qAbs, nHead, kvl, rope, qpe, qpeStride, headStride, qpeOff, scale, out);
            return;
        }
        this.kc = kc;
        this.layer = layer;
        this.pos0 = pos0;
        this.q = qAbs;
        this.nHead = nHead;
        this.group = 1;
        this.kvl = kvl;
        this.rope = rope;
        this.qpe = qpe;
        this.qpeStride = qpeStride;
        this.dk = headStride;
        this.qpeOff = qpeOff;
        this.scale = scale;
        this.out = out;
        backend.pool().run(split(n), latentBody);
    }

    /** ggml flash attention, one head at a time, as ggml_compute_forward_flash_attn_ext_f16_one_chunk. */
    private void standardGgml(int t, int h0, int h1, int worker) {
        int p = cells.pos(t, pos0), base = cells.base(t);
        float[] buf = row[worker], qr = qh[worker], vkq = acc[worker], st = softmaxState[worker];
        int qo = t * qStride, oo = t * outStride;
        for (int hh = h0; hh < h1; hh++) {
            for (int i = 0; i < dk; i++) qr[i] = h(q[qo + hh * dk + i]);
            int kvh = hh / group;
            ggmlStart(st, vkq, dv);
            for (int j = 0; j <= p; j++) {
                kc.get(layer, base + j, kvh * dk, dk, buf, 0);
                float sc = kiln.runtime.kernel.GgmlDots.f16Vec(qr, 0, buf, 0, dk) * scale;
                vc.get(layer, base + j, kvh * dv, dv, buf, 0);
                ggmlCell(sc, st, vkq, buf, 0, dv);
            }
            ggmlEnd(st, vkq, out, oo + hh * dv, dv);
        }
    }

    /** Latent form of {@link #standardGgml}: K = [latent | rope] (ik: [rope | latent]), V = latent. */
    private void latentGgml(int t, int h0, int h1, int worker) {
        int p = cells.pos(t, pos0), base = cells.base(t);
        float[] buf = row[worker], qr = qh[worker], vkq = acc[worker], st = softmaxState[worker];
        int qo = t * nHead * kvl, po = t * qpeStride + qpeOff;
        int lo = ropeFirst ? rope : 0, ro = ropeFirst ? 0 : kvl;
        for (int hh = h0; hh < h1; hh++) {
            for (int i = 0; i < kvl; i++) qr[lo + i] = h(q[qo + hh * kvl + i]);
            for (int i = 0; i < rope; i++) qr[ro + i] = h(qpe[po + hh * dk + i]);
            ggmlStart(st, vkq, kvl);
            for (int j = 0; j <= p; j++) {
                if (ropeFirst) {
                    kc.get(layer, base + j, kvl, rope, buf, 0);
                    kc.get(layer, base + j, 0, kvl, buf, rope);
                } else {
                    kc.get(layer, base + j, 0, kvl + rope, buf, 0);
                }
                float sc = kiln.runtime.kernel.GgmlDots.f16Vec(qr, 0, buf, 0, kvl + rope) * scale;
                ggmlCell(sc, st, vkq, buf, lo, kvl);
            }
            ggmlEnd(st, vkq, out, qo + hh * kvl, kvl);
        }
    }

    /** The running maximum and sum of one query row of {@link #ggmlCell} (per worker: {m, S}). */
    private final float[][] softmaxState;

    private static void ggmlStart(float[] st, float[] vkq, int dv) {
        st[0] = Float.NEGATIVE_INFINITY;
        st[1] = 0f;
        java.util.Arrays.fill(vkq, 0, dv, 0f);
    }

    /**
     * One visible cache cell of ggml's online softmax with score sc and value row v[vo..vo+dv): a new maximum
     * rescales the f16 accumulator by expf(m_old − m), otherwise the cell weighs expf(sc − m); the accumulator is
     * rounded to f16 after every FMA; the running sum is fused into an FMA in mainline's build, not in ik's.
     */
    private void ggmlCell(float sc, float[] st, float[] vkq, float[] v, int vo, int dv) {
        float mOld = st[0], ms = 1.0f, vs;
        if (sc > mOld) {
            st[0] = sc;
            ms = kiln.runtime.kernel.GgmlMath.expf(mOld - sc);
            for (int i = 0; i < dv; i++) vkq[i] = h(vkq[i] * ms);
            vs = 1.0f;
        } else {
            vs = kiln.runtime.kernel.GgmlMath.expf(sc - mOld);
        }
        for (int i = 0; i < dv; i++) vkq[i] = h(Math.fma(v[vo + i], vs, vkq[i]));
        st[1] = fusedSum ? Math.fma(st[1], ms, vs) : st[1] * ms + vs;
    }

    /** The row's result: the f16 accumulator times 1/S. */
    private static void ggmlEnd(float[] st, float[] vkq, float[] dst, int off, int dv) {
        float inv = 1.0f / st[1];
        for (int i = 0; i < dv; i++) dst[off + i] = vkq[i] * inv;
    }

    private void latentTask(int task, int worker) {
        int t = task / groupsPerToken, h0 = (task % groupsPerToken) * headsPerTask, h1 = Math.min(nHead, h0 + headsPerTask);
        latentGgml(t, h0, h1, worker);
    }
}
