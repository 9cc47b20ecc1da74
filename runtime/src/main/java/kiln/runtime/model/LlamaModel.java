package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Weight;
import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;

/** The llama graph: RMSNorm, GQA attention with RoPE (normal mode), SwiGLU FFN, tied or untied output. */
final class LlamaModel extends Model {
    private final int nLayer, nHead, nKv, headK, headV, ff;
    private final float eps;
    private final Weight tokEmbd, output;
    private final float[] outputNorm;
    private final float[][] attnNorm, ffnNorm;
    private final Weight[] wq, wk, wv, wo, wGate, wUp, wDown;
    private final Rope rope;
    private final KvStore kCache, vCache;
    private final Attention attention;
    private final float[] x, xn, q, kv, vv, att, tmp, gate, up, embRow, group;
    private final boolean tied;

    LlamaModel(WeightSource src, ModelOptions opt, Tokenizer tok, Backend backend) {
        super(opt, tok, backend, (int) src.file().metadata().requireLong("llama.embedding_length"), tok.vocabSize());
        GgufMetadata md = src.file().metadata();
        String a = "llama.";
        nLayer = (int) md.requireLong(a + "block_count");
        nHead = (int) md.requireLong(a + "attention.head_count");
        nKv = (int) md.getLong(a + "attention.head_count_kv", nHead);
        headK = (int) md.getLong(a + "attention.key_length", nEmbd / nHead);
        headV = (int) md.getLong(a + "attention.value_length", nEmbd / nHead);
        ff = (int) md.requireLong(a + "feed_forward_length");
        eps = (float) md.getDouble(a + "attention.layer_norm_rms_epsilon", 1e-5);
        int nRot = (int) md.getLong(a + "rope.dimension_count", headK);
        if (nHead % nKv != 0) throw new KilnException(src.fileName() + ": head_count " + nHead + " is not a multiple of head_count_kv " + nKv);
        if (src.has("blk.0.ffn_gate_inp.weight")) {
            throw new KilnException(src.fileName() + ": mixture-of-experts llama models are not supported by Kiln's runtime yet");
        }
        tokEmbd = src.require("token_embd.weight", nEmbd, nVocab);
        Weight out = src.optional("output.weight", nEmbd, nVocab);
        tied = out == null;
        output = tied ? tokEmbd : out;
        outputNorm = src.vector("output_norm.weight", nEmbd);
        attnNorm = new float[nLayer][];
        ffnNorm = new float[nLayer][];
        wq = new Weight[nLayer]; wk = new Weight[nLayer]; wv = new Weight[nLayer]; wo = new Weight[nLayer];
        wGate = new Weight[nLayer]; wUp = new Weight[nLayer]; wDown = new Weight[nLayer];
        for (int i = 0; i < nLayer; i++) {
            String b = "blk." + i + ".";
            attnNorm[i] = src.vector(b + "attn_norm.weight", nEmbd);
            ffnNorm[i] = src.vector(b + "ffn_norm.weight", nEmbd);
            wq[i] = src.require(b + "attn_q.weight", nEmbd, (long) nHead * headK);
            wk[i] = src.require(b + "attn_k.weight", nEmbd, (long) nKv * headK);
            wv[i] = src.require(b + "attn_v.weight", nEmbd, (long) nKv * headV);
            wo[i] = src.require(b + "attn_output.weight", (long) nHead * headV, nEmbd);
            wGate[i] = src.require(b + "ffn_gate.weight", nEmbd, ff);
            wUp[i] = src.require(b + "ffn_up.weight", nEmbd, ff);
            wDown[i] = src.require(b + "ffn_down.weight", ff, nEmbd);
        }
        if (nRot % 2 != 0 || nRot > headK) {
            throw new KilnException(src.fileName() + ": llama.rope.dimension_count is " + nRot + "; expected an even number ≤ the head size " + headK);
        }
        RopeConfig rc = RopeConfig.read(md, "llama", src.fileName());
        float[] freqFactors = src.optionalVector("rope_freqs.weight", nRot / 2);
        KvStore.Type kt = KvStore.Type.parse(opt.cacheTypeK()), vt = KvStore.Type.parse(opt.cacheTypeV());
        long cacheCells = (long) nCtx * nSeq;
        requireHeap(src.fileName(), nCtx, KvStore.heapBytes(kt, nLayer, cacheCells, (long) nKv * headK) + KvStore.heapBytes(vt, nLayer, cacheCells, (long) nKv * headV)
                + 4L * nCtx * nRot);
        rope = new Rope(nRot, nCtx, rc.freqBase(), rc.freqScale(), rc.extFactor(), 1.0f, rc.nCtxOrig(), 32f, 1f, freqFactors, mainlineNumerics);
        kCache = new KvStore(kt, nLayer, nCtx * nSeq, nKv * headK);
        vCache = new KvStore(vt, nLayer, nCtx * nSeq, nKv * headV);
        attention = new Attention(backend, cells, Math.max(headK, headV), Math.max(headK, headV),
                new TiledAttention(backend, cells, new TiledAttention.Shape(nHead, nHead / nKv, headK, headV, headK, headV)));
        int ub = ubatch;
        x = new float[ub * nEmbd];
        xn = new float[ub * nEmbd];
        q = new float[ub * nHead * headK];
        kv = new float[ub * nKv * headK];
        vv = new float[ub * nKv * headV];
        att = new float[ub * nHead * headV];
        tmp = new float[ub * nEmbd];
        gate = new float[ub * ff];
        up = new float[ub * ff];
        embRow = new float[nEmbd];
        group = new float[nEmbd * tokEmbd.interleave()];
    }

    @Override
    public String kvCacheSize() {
        return KvStore.sizeLine(kCache, vCache);
    }

    @Override
    public String describe() {
        return "llama: " + nLayer + " layers, " + nHead + " heads (" + nKv + " KV), embd " + nEmbd + ", ff " + ff
                + (tied ? ", tied output" : "") + ", cache " + kCache.type + "/" + vCache.type + ", numerics " + numerics();
    }

    @Override
    protected void forwardBatch(int[] tokens, int off, int n, int pos0, float[] logits, boolean allLogits) {
        for (int t = 0; t < n; t++) {
            int id = tokens[off + t];
            if (id < 0 || id >= nVocab) throw new KilnException("token id " + id + " is outside the vocabulary of " + nVocab);
            tokEmbd.dequantizeRow(id, x, t * nEmbd, group);
        }
        float scale = (float) (1.0 / Math.sqrt(headK));
        for (int l = 0; l < nLayer; l++) {
            for (int t = 0; t < n; t++) rmsNorm(x, t * nEmbd, attnNorm[l], eps, xn, t * nEmbd, nEmbd);
            backend.matmul(wq[l], xn, 0, nEmbd, n, q, 0, nHead * headK);
            backend.matmul(wk[l], xn, 0, nEmbd, n, kv, 0, nKv * headK);
            backend.matmul(wv[l], xn, 0, nEmbd, n, vv, 0, nKv * headV);
            for (int t = 0; t < n; t++) {
                int p = posOf(t, pos0), cell = cellOf(t, pos0);
                for (int h = 0; h < nHead; h++) rope.apply(q, (t * nHead + h) * headK, p);
                for (int h = 0; h < nKv; h++) rope.apply(kv, (t * nKv + h) * headK, p);
                kCache.put(l, cell, kv, t * nKv * headK);
                vCache.put(l, cell, vv, t * nKv * headV);
            }
            attention.standard(kCache, vCache, l, pos0, n, q, nHead * headK, nHead, nKv, headK, headV, scale, att, nHead * headV);
            backend.matmul(wo[l], att, 0, nHead * headV, n, tmp, 0, nEmbd);
            for (int i = 0; i < n * nEmbd; i++) x[i] += tmp[i];
            for (int t = 0; t < n; t++) rmsNorm(x, t * nEmbd, ffnNorm[l], eps, xn, t * nEmbd, nEmbd);
            backend.matmul(wGate[l], xn, 0, nEmbd, n, gate, 0, ff);
            backend.matmul(wUp[l], xn, 0, nEmbd, n, up, 0, ff);
            swiglu(gate, up, n, ff);
            backend.matmul(wDown[l], gate, 0, ff, n, tmp, 0, nEmbd);
            for (int i = 0; i < n * nEmbd; i++) x[i] += tmp[i];
        }
        outputLogits(x, xn, n, outputNorm, eps, output, logits, allLogits);
    }
}
