package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Weight;
import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.Arena;

/**
 * The deepseek2 graph (DeepSeek-V2/V3/R1): MLA attention with or without q_lora, YaRN RoPE with DeepSeek's
 * mscale, leading dense layers, then MoE layers with routed + shared experts.
 *
 * <p>Attention modes: {@code -mla 0} decompresses K and V per head with attn_kv_b and caches them; {@code -mla 1..3}
 * multiply q_nope by attn_k_b (absorbed) and cache only the normalized latent plus the roped shared key part,
 * then expand the attended latent with attn_v_b. Modes 1, 2 and 3 compute the same function here (in ik they
 * differ in which of the two algorithms long batches use).
 */
final class DeepseekModel extends Model {
    private final String fileName;
    private final int nLayer, nHead, nope, rope, dk, dv, kvl, qlr, nDense, ff, ffExp, nExpert, nUsed, mla;
    private final boolean qLora, mainlineLayout;
    private final float eps, kqScale;
    private final Weight tokEmbd, output;
    private final float[] outputNorm;
    private final Layer[] layers;
    private final Rope ropeTable;
    private final Router router;
    private final KvStore kCache, vCache;
    private final Attention attention;
    private final Arena derived = Arena.ofShared();
    private final String routingNote;

    // micro-batch buffers
    private final float[] x, xn, qa, q, kva, lat, qAbs, ctx, att, tmp, kRows, vRows, kvOut;
    private final float[] gate, up, routerLogits, moeOut, xe, ge, ue, de, group;
    private final int[] selIds, expertCount, expertTokens, expertSlot;
    private final float[] selW;
    private final float[] slotOut;
    // ik's prompt path (-mla 2/3, ≥ 128 tokens): K/V decompressed from the latent cache with attn_kv_b
    DecompressedKv decompressed; // package-private: tests read how many layers it keeps
    private float[] cellLat, cellKv, qPerm, scratchAtt;
    static final int IK_PP_MIN_TOKENS = 128;

    private static final class Layer {
        float[] attnNorm, ffnNorm, qaNorm, kvaNorm, expBias;
        Weight wq, wqA, wqB, wkvA, kvB, wo;
        Weight[] kBh, vBh;
        Weight gate, up, down;
        Weight gateInp;
        Weight[] gateE, upE, downE;
        Weight shGate, shUp, shDown;
        boolean moe;
    }

    DeepseekModel(WeightSource src, ModelOptions opt, Tokenizer tok, Backend backend) {
        super(opt, tok, backend, (int) src.file().metadata().requireLong("deepseek2.embedding_length"), tok.vocabSize());
        fileName = src.fileName();
        GgufMetadata md = src.file().metadata();
        String a = "deepseek2.";
        nLayer = (int) md.requireLong(a + "block_count");
        nHead = (int) md.requireLong(a + "attention.head_count");
        rope = (int) md.requireLong(a + "rope.dimension_count");
        kvl = (int) md.requireLong(a + "attention.kv_lora_rank");
        mainlineLayout = md.contains(a + "attention.key_length_mla");
        dk = (int) (mainlineLayout ? md.requireLong(a + "attention.key_length_mla") : md.requireLong(a + "attention.key_length"));
        dv = (int) (mainlineLayout ? md.requireLong(a + "attention.value_length_mla") : md.requireLong(a + "attention.value_length"));
        nope = dk - rope;
        if (nope <= 0) throw new KilnException(fileName + ": key length " + dk + " is not larger than the rope dimension " + rope);
        eps = (float) md.getDouble(a + "attention.layer_norm_rms_epsilon", 1e-6);
        nDense = (int) md.getLong(a + "leading_dense_block_count", 0);
        ff = (int) md.getLong(a + "feed_forward_length", 0);
        ffExp = (int) md.getLong(a + "expert_feed_forward_length", 0);
        nExpert = (int) md.getLong(a + "expert_count", 0);
        nUsed = (int) md.getLong(a + "expert_used_count", 0);
        int gating = (int) md.getLong(a + "expert_gating_func", Router.GATING_SOFTMAX);
        if (gating != Router.GATING_SOFTMAX && gating != Router.GATING_SIGMOID) {
            throw new KilnException(fileName + ": " + a + "expert_gating_func " + gating + " is not supported; Kiln runs 1 (softmax) and 2 (sigmoid)");
        }
        int nGroup = (int) md.getLong(a + "expert_group_count", 0);
        int groupUsed = (int) md.getLong(a + "expert_group_used_count", 0);
        if (nGroup > 1 && (nExpert % nGroup != 0 || groupUsed < 1 || groupUsed > nGroup)) {
            throw new KilnException(fileName + ": expert_group_count " + nGroup + " / expert_group_used_count " + groupUsed + " do not fit " + nExpert + " experts");
        }
        boolean norm = md.getBool(a + "expert_weights_norm", false);
        float wScale = (float) md.getDouble(a + "expert_weights_scale", 1.0);
        router = nExpert > 0 ? new Router(nExpert, nUsed, nGroup, groupUsed, gating, norm, wScale, ikElementwise) : null;
        routingNote = nExpert == 0 ? "dense" : nExpert + " experts, top-" + nUsed + (gating == 2 ? " sigmoid" : " softmax")
                + (nGroup > 1 ? ", groups " + groupUsed + "/" + nGroup : "") + (norm ? ", normalized" : "") + ", scale " + wScale;

        // q_lora from the tensors present (not the layer count)
        qLora = src.has("blk.0.attn_q_a.weight");
        long keyLora = md.getLong(a + "attention.q_lora_rank", 0);
        if (qLora) {
            TensorInfo qa0 = src.info("blk.0.attn_q_a.weight");
            qlr = (int) qa0.dim(1);
            if (keyLora != 0 && keyLora != qlr) {
                throw new KilnException(fileName + ": attention.q_lora_rank is " + keyLora + " but blk.0.attn_q_a.weight has " + qlr + " rows");
            }
        } else {
            if (keyLora != 0) throw new KilnException(fileName + ": attention.q_lora_rank is " + keyLora + " but the file has no attn_q_a tensors");
            qlr = 0;
        }
        int requested = opt.mla() < 0 ? 3 : opt.mla();
        if (requested > 3) throw new KilnException("-mla " + requested + " is not a mode; use 0, 1, 2 or 3");
        mla = requested;

        tokEmbd = src.require("token_embd.weight", nEmbd, nVocab);
        Weight out = src.optional("output.weight", nEmbd, nVocab);
        output = out == null ? tokEmbd : out;
        outputNorm = src.vector("output_norm.weight", nEmbd);
        layers = new Layer[nLayer];
        int maxFf = 0;
        for (int i = 0; i < nLayer; i++) {
            layers[i] = loadLayer(src, i);
            Layer L = layers[i];
            if (L.moe) maxFf = Math.max(maxFf, Math.max(ffExp, L.shGate != null ? (int) L.shGate.rows() : 0));
            else maxFf = Math.max(maxFf, (int) L.gate.rows());
        }

        RopeConfig rc = RopeConfig.read(md, "deepseek2", fileName);
        float freqScale = rc.freqScale();
        // DeepSeek's YaRN: rope values are not rescaled (the mscale of ggml's rope is cancelled), the softmax scale
        // carries mscale² with mscale = 1 + m·ln(factor) (m = 0.1·mscale_all_dim).
        float logMul = mainlineLayout ? 0.1f * rc.yarnLogMul() : rc.yarnLogMul();
        float mscale = 1.0f + logMul * (float) Math.log(1.0f / freqScale);
        kqScale = mscale * mscale / (float) Math.sqrt(dk);
        float attnFactor = rc.extFactor() != 0 ? 1.0f / (1.0f + 0.1f * (float) Math.log(1.0f / freqScale)) : 1.0f;
        KvStore.Type kt = KvStore.Type.parse(opt.cacheTypeK()), vt = KvStore.Type.parse(opt.cacheTypeV());
        long cacheCells = (long) nCtx * nSeq;
        long cacheBytes = mla == 0 ? KvStore.heapBytes(kt, nLayer, cacheCells, (long) nHead * dk) + KvStore.heapBytes(vt, nLayer, cacheCells, (long) nHead * dv)
                : KvStore.heapBytes(kt, nLayer, cacheCells, (long) kvl + rope);
        requireHeap(fileName, nCtx, cacheBytes + 4L * nCtx * rope);
        ropeTable = new Rope(rope, nCtx, rc.freqBase(), freqScale, rc.extFactor(), attnFactor, rc.nCtxOrig(), 32f, 1f, null, mainlineNumerics);

        if (mla == 0) {
            kCache = new KvStore(kt, nLayer, nCtx * nSeq, nHead * dk);
            vCache = new KvStore(vt, nLayer, nCtx * nSeq, nHead * dv);
        } else {
            kCache = new KvStore(kt, nLayer, nCtx * nSeq, kvl + rope);
            vCache = null;
        }
        // per-head K/V (-mla 0, and prompts decompressed from the latent cache under -mla 2/3), and the latent form
        TiledAttention.Shape perHead = new TiledAttention.Shape(nHead, 1, dk, dv, dk, dv);
        TiledAttention tiled = mla > 0 ? new TiledAttention(backend, cells, new TiledAttention.Shape(nHead, nHead, kvl + rope, kvl, kvl + rope, 0), perHead)
                : new TiledAttention(backend, cells, perHead);
        attention = new Attention(backend, cells, Math.max(Math.max(dk, dv), kvl + rope), Math.max(kvl, dv), tiled);

        int ub = ubatch;
        x = new float[ub * nEmbd];
        xn = new float[ub * nEmbd];
        qa = new float[ub * Math.max(1, qlr)];
        q = new float[ub * nHead * dk];
        kva = new float[ub * (kvl + rope)];
        lat = new float[ub * (kvl + rope)];
        qAbs = mla > 0 ? new float[ub * nHead * kvl] : new float[0];
        ctx = mla > 0 ? new float[ub * nHead * kvl] : new float[0];
        att = new float[ub * nHead * dv];
        tmp = new float[ub * nEmbd];
        kRows = mla == 0 ? new float[ub * nHead * dk] : new float[0];
        vRows = mla == 0 ? new float[ub * nHead * dv] : new float[0];
        kvOut = mla == 0 ? new float[ub * nHead * (nope + dv)] : new float[0];
        gate = new float[ub * Math.max(1, maxFf)];
        up = new float[ub * Math.max(1, maxFf)];
        routerLogits = new float[ub * Math.max(1, nExpert)];
        moeOut = new float[ub * nEmbd];
        xe = new float[ub * nEmbd];
        ge = new float[ub * Math.max(1, ffExp)];
        ue = new float[ub * Math.max(1, ffExp)];
        de = new float[ub * nEmbd];
        selIds = new int[ub * Math.max(1, nUsed)];
        selW = new float[ub * Math.max(1, nUsed)];
        slotOut = new float[ub * Math.max(1, nUsed) * nEmbd];
        expertCount = new int[Math.max(1, nExpert)];
        expertTokens = new int[Math.max(1, nExpert) * ub];
        expertSlot = new int[Math.max(1, nExpert) * ub];
        group = new float[nEmbd * tokEmbd.interleave()];
    }

    private Layer loadLayer(WeightSource src, int i) {
        String b = "blk." + i + ".";
        Layer L = new Layer();
        L.attnNorm = src.vector(b + "attn_norm.weight", nEmbd);
        L.ffnNorm = src.vector(b + "ffn_norm.weight", nEmbd);
        if (qLora) {
            L.wqA = src.require(b + "attn_q_a.weight", nEmbd, qlr);
            L.qaNorm = src.vector(b + "attn_q_a_norm.weight", qlr);
            L.wqB = src.require(b + "attn_q_b.weight", qlr, (long) nHead * dk);
        } else {
            L.wq = src.require(b + "attn_q.weight", nEmbd, (long) nHead * dk);
        }
        L.wkvA = src.require(b + "attn_kv_a_mqa.weight", nEmbd, kvl + rope);
        L.kvaNorm = src.vector(b + "attn_kv_a_norm.weight", kvl);
        L.wo = src.require(b + "attn_output.weight", (long) nHead * dv, nEmbd);
        Weight kvB = src.optional(b + "attn_kv_b.weight", kvl, (long) nHead * (nope + dv));
        Weight kB = loadKb(src, b + "attn_k_b.weight");
        Weight vB = loadVb(src, b + "attn_v_b.weight");
        if ((kB == null) != (vB == null)) throw new KilnException(fileName + ": layer " + i + " has only one of attn_k_b / attn_v_b");
        if (kvB == null && kB == null) {
            throw new KilnException(fileName + ": layer " + i + " has neither attn_kv_b nor attn_k_b/attn_v_b");
        }
        if (mla == 0) {
            L.kvB = kvB != null ? kvB : src.planned(MlaDerivation.kvbFromKbVb(kB, vB, nHead, nope, dv, kvl, derived, b + "attn_kv_b.weight"));
        } else {
            L.kvB = kvB; // ik's prompt path decompresses with it when present
            if (kB == null) {
                kB = src.planned(MlaDerivation.kbFromKvb(kvB, nHead, nope, dv, kvl, derived, b + "attn_k_b.weight"));
                vB = src.planned(MlaDerivation.vbFromKvb(kvB, nHead, nope, dv, kvl, derived, b + "attn_v_b.weight"));
            }
            L.kBh = new Weight[nHead];
            L.vBh = new Weight[nHead];
            for (int h = 0; h < nHead; h++) {
                L.kBh[h] = kB.part(h, kvl);
                L.vBh[h] = vB.part(h, dv);
            }
        }
        L.moe = i >= nDense && nExpert > 0;
        if (!L.moe) {
            if (ff <= 0) throw new KilnException(fileName + ": layer " + i + " is dense but deepseek2.feed_forward_length is missing");
            L.gate = src.require(b + "ffn_gate.weight", nEmbd, ff);
            L.up = src.require(b + "ffn_up.weight", nEmbd, ff);
            L.down = src.require(b + "ffn_down.weight", ff, nEmbd);
        } else {
            if (ffExp <= 0 || nUsed <= 0 || nUsed > nExpert) {
                throw new KilnException(fileName + ": expert_feed_forward_length / expert_used_count do not describe the MoE layers");
            }
            L.gateInp = src.require(b + "ffn_gate_inp.weight", nEmbd, nExpert);
            L.expBias = src.optionalVector(b + "exp_probs_b.bias", nExpert);
            Weight g = src.require(b + "ffn_gate_exps.weight", nEmbd, ffExp, nExpert);
            Weight u = src.require(b + "ffn_up_exps.weight", nEmbd, ffExp, nExpert);
            Weight d = src.require(b + "ffn_down_exps.weight", ffExp, nEmbd, nExpert);
            L.gateE = new Weight[nExpert];
            L.upE = new Weight[nExpert];
            L.downE = new Weight[nExpert];
            for (int e = 0; e < nExpert; e++) {
                L.gateE[e] = g.part(e, ffExp);
                L.upE[e] = u.part(e, ffExp);
                L.downE[e] = d.part(e, nEmbd);
            }
            if (src.has(b + "ffn_gate_shexp.weight")) {
                long shFf = src.info(b + "ffn_gate_shexp.weight").dim(1);
                long nShared = src.file().metadata().getLong("deepseek2.expert_shared_count", shFf / ffExp);
                if (nShared * ffExp != shFf) {
                    throw new KilnException(fileName + ": " + b + "ffn_gate_shexp.weight has " + shFf + " rows but expert_shared_count × expert_feed_forward_length is " + nShared * ffExp);
                }
                L.shGate = src.require(b + "ffn_gate_shexp.weight", nEmbd, shFf);
                L.shUp = src.require(b + "ffn_up_shexp.weight", nEmbd, shFf);
                L.shDown = src.require(b + "ffn_down_shexp.weight", shFf, nEmbd);
            }
        }
        return L;
    }

    /** attn_k_b as 2-D {nope, H·kvl} (ik) or 3-D {nope, kvl, H} (mainline): same element order. */
    private Weight loadKb(WeightSource src, String name) {
        TensorInfo t = src.info(name);
        if (t == null) return null;
        return t.nDims() == 3 ? src.require(name, nope, kvl, nHead) : src.require(name, nope, (long) nHead * kvl);
    }

    private Weight loadVb(WeightSource src, String name) {
        TensorInfo t = src.info(name);
        if (t == null) return null;
        return t.nDims() == 3 ? src.require(name, kvl, dv, nHead) : src.require(name, kvl, (long) nHead * dv);
    }

    /** ik with -mla 2/3 evaluates batches of ≥ 128 tokens by decompressing K and V (its "pp_opt" path). */
    private boolean ikPromptPath(Layer L, int n) {
        return ikElementwise && mla > 1 && n >= IK_PP_MIN_TOKENS && L.kvB != null && cells.oneSequence(n);
    }

    /**
     * The most heap one layer's decompressed K and V may take (f16) for a batch to decompress at all:
     * {@link DecompressedKv#MAX_KEPT_BYTES}, a quarter of the heap (not -amb, which only bounds the layers kept).
     */
    private static long decompressedBudget() {
        return Math.min(DecompressedKv.MAX_KEPT_BYTES, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * Tests: the decompressed K/V may take this many layers' worth of heap (0: every layer's recomputed each batch,
     * as before they were kept); -1: the bound of {@code -amb} or the default ({@code DecompressedKv.keptBudget}).
     */
    int keepDecompressedLayers = -1;
    /** Cells decompressed so far (tests check that kept cells are not decompressed again). */
    long decompressedCells;
    /** Tests: decompress every batch that can be (-mla 2/3, Kiln's numerics), whatever it costs. */
    boolean forceDecompression;
    /** Batches evaluated by decompressing K and V (tests check the path ran). */
    int decompressedBatches;

    /**
     * Kiln's numerics under -mla 2/3 decompress K and V for a batch when that costs fewer multiply-adds than
     * attending in the latent space: per visible (token, cache row) pair and head the latent form costs 2·kvl + rope,
     * the decompressed one dk + dv, plus kvl·(nope + dv) per cached row and head for the decompression itself — so
     * long prompt batches gain (above ≈ 170 tokens for DeepSeek's shapes), generation never — as long as the
     * decompressed K and V of the whole context fit {@link #decompressedBudget}. Cells decompressed by an earlier
     * batch and kept ({@link DecompressedKv}) cost nothing again, so at depth most of the decompression is gone.
     */
    private boolean decompressionPays(Layer L, int l, int n, int pos0) {
        if (ggmlElementwise || mla < 2 || L.kvB == null || !cells.oneSequence(n)) return false;
        long bytes = 2L * nCtx * nHead * (dk + dv);
        if (bytes > decompressedBudget()) return false;
        // cells still decompressed from an earlier batch are not decompressed again
        double pairs = n * (pos0 + (n + 1) / 2.0), cells = pos0 + n - (decompressed != null ? Math.min(decompressed.firstStale(l), pos0 / ubatch * ubatch) : 0);
        if (forceDecompression) return true;
        // short batches (generation) stay latent: per token the decompressed K/V are ~9× the bytes of the latent rows
        return n >= IK_PP_MIN_TOKENS && pairs * (dk + dv) + cells * kvl * (double) (nope + dv) < pairs * (2 * kvl + rope);
    }

    /** The heap the kept decompressed K/V may take: -amb's bound ({@link DecompressedKv#keptBudget}). */
    private long keptBudget() {
        return DecompressedKv.keptBudget(options.attentionMaxBatch(), Runtime.getRuntime().maxMemory());
    }

    @Override
    public String kvCacheSize() {
        String line = KvStore.sizeLine(kCache, vCache);
        // only -mla 2/3 prompts decompress, with Kiln's numerics or ik's (its prompt path), never with mainline's
        if (mla < 2 || mainlineNumerics || layers[0].kvB == null) return line;
        return line + "; " + DecompressedKv.boundLine(nLayer, DecompressedKv.layerBytes(nCtx, nHead * dk, nHead * dv), keptBudget(),
                options.attentionMaxBatch());
    }

    @Override
    public String describe() {
        return "deepseek2: " + nLayer + " layers (" + nDense + " dense), " + nHead + " heads, embd " + nEmbd
                + ", " + (qLora ? "q_lora " + qlr : "no q_lora") + ", kv_lora " + kvl + ", k " + nope + "+" + rope + ", v " + dv
                + ", " + (mainlineLayout ? "mainline" : "ik/legacy") + " MLA layout, -mla " + mla + ", " + routingNote
                + ", cache " + kCache.type + (vCache != null ? "/" + vCache.type : " (latent)") + ", numerics " + numerics();
    }

    @Override
    protected void forwardBatch(int[] tokens, int off, int n, int pos0, float[] logits, boolean allLogits) {
        for (int t = 0; t < n; t++) {
            int id = tokens[off + t];
            if (id < 0 || id >= nVocab) throw new KilnException("token id " + id + " is outside the vocabulary of " + nVocab);
            tokEmbd.dequantizeRow(id, x, t * nEmbd, group);
        }
        for (int l = 0; l < nLayer; l++) {
            Layer L = layers[l];
            for (int t = 0; t < n; t++) rmsNorm(x, t * nEmbd, L.attnNorm, eps, xn, t * nEmbd, nEmbd);
            attention(L, l, n, pos0);
            backend.matmul(L.wo, att, 0, nHead * dv, n, tmp, 0, nEmbd);
            for (int i = 0; i < n * nEmbd; i++) x[i] += tmp[i];
            for (int t = 0; t < n; t++) rmsNorm(x, t * nEmbd, L.ffnNorm, eps, xn, t * nEmbd, nEmbd);
            if (L.moe) moe(L, n);
            else ffn(L.gate, L.up, L.down, xn, n, tmp);
            for (int i = 0; i < n * nEmbd; i++) x[i] += tmp[i];
        }
        outputLogits(x, xn, n, outputNorm, eps, output, logits, allLogits);
    }

    private void attention(Layer L, int l, int n, int pos0) {
        int qw = nHead * dk;
        if (qLora) {
            backend.matmul(L.wqA, xn, 0, nEmbd, n, qa, 0, qlr);
            for (int t = 0; t < n; t++) rmsNorm(qa, t * qlr, L.qaNorm, eps, qa, t * qlr, qlr);
            backend.matmul(L.wqB, qa, 0, qlr, n, q, 0, qw);
        } else {
            backend.matmul(L.wq, xn, 0, nEmbd, n, q, 0, qw);
        }
        int lw = kvl + rope;
        backend.matmul(L.wkvA, xn, 0, nEmbd, n, kva, 0, lw);
        for (int t = 0; t < n; t++) {
            int p = posOf(t, pos0);
            rmsNorm(kva, t * lw, L.kvaNorm, eps, lat, t * lw, kvl);
            System.arraycopy(kva, t * lw + kvl, lat, t * lw + kvl, rope);
            ropeTable.apply(lat, t * lw + kvl, p);
            for (int h = 0; h < nHead; h++) ropeTable.apply(q, t * qw + h * dk + nope, p);
        }
        if (mla > 0 && (ikPromptPath(L, n) || decompressionPays(L, l, n, pos0))) {
            putLatent(l, n, pos0);
            decompressedAttention(L, l, n, pos0);
            decompressedBatches++;
            if (backend.observed()) absorbedAttention(L, l, n, pos0, scratchAtt); // attn_k_b / attn_v_b statistics only
        } else if (mla > 0) {
            putLatent(l, n, pos0);
            absorbedAttention(L, l, n, pos0, att);
        } else {
            int kw = nHead * (nope + dv);
            backend.matmul(L.kvB, lat, 0, lw, n, kvOut, 0, kw);
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < nHead; h++) {
                    System.arraycopy(kvOut, t * kw + h * (nope + dv), kRows, t * qw + h * dk, nope);
                    System.arraycopy(lat, t * lw + kvl, kRows, t * qw + h * dk + nope, rope);
                    System.arraycopy(kvOut, t * kw + h * (nope + dv) + nope, vRows, (t * nHead + h) * dv, dv);
                }
                kCache.put(l, cellOf(t, pos0), kRows, t * qw);
                vCache.put(l, cellOf(t, pos0), vRows, t * nHead * dv);
            }
            attention.standard(kCache, vCache, l, pos0, n, q, qw, nHead, nHead, dk, dv, kqScale, att, nHead * dv);
        }
    }

    /** The batch's latent rows into the cache of layer l (what was decompressed from the old ones goes stale). */
    private void putLatent(int l, int n, int pos0) {
        int lw = kvl + rope;
        for (int t = 0; t < n; t++) {
            int cell = cellOf(t, pos0);
            kCache.put(l, cell, lat, t * lw);
            if (decompressed != null) decompressed.written(l, cell);
        }
    }

    /**
     * -mla 1..3: q_nope absorbed by attn_k_b, attention over the latent cache, the latent expanded by attn_v_b. The
     * per-head products of each side run as one parallel step ({@link Backend#matmulAll}: one product at a time
     * where the numerics or an observer ask for it), not one dispatch per head.
     */
    private void absorbedAttention(Layer L, int l, int n, int pos0, float[] dst) {
        int qw = nHead * dk;
        Backend.Product[] heads = products(nHead);
        for (int h = 0; h < nHead; h++) heads[h].set(L.kBh[h], q, h * dk, qw, n, qAbs, h * kvl, nHead * kvl, false);
        backend.matmulAll(heads, nHead);
        attention.latent(kCache, l, pos0, n, qAbs, nHead, kvl, rope, q, qw, dk, nope, kqScale, ctx);
        for (int h = 0; h < nHead; h++) heads[h].set(L.vBh[h], ctx, h * kvl, nHead * kvl, n, dst, h * dv, nHead * dv, false);
        backend.matmulAll(heads, nHead);
    }

    /**
     * ik's prompt path: every cached latent (f16) multiplied by attn_kv_b into per-head K_nope and V (cast to f16),
     * K = [rope | nope] and Q = [q_rope | q_nope] per head, then flash attention over the decompressed heads.
     */
    private void decompressedAttention(Layer L, int l, int n, int pos0) {
        int cells = pos0 + n, kw = nHead * (nope + dv), qw = nHead * dk;
        if (decompressed == null) {
            long budget = keepDecompressedLayers >= 0 ? keepDecompressedLayers * DecompressedKv.layerBytes(nCtx, qw, nHead * dv) : keptBudget();
            decompressed = new DecompressedKv(nLayer, nCtx, qw, nHead * dv, ubatch, budget);
            cellLat = new float[ubatch * kvl];
            cellKv = new float[ubatch * kw];
            qPerm = new float[ubatch * qw];
            scratchAtt = new float[ubatch * nHead * dv];
            kRowBuf = new float[Math.max(qw, kvl + rope)];
            oneK = new float[qw];
            oneV = new float[nHead * dv];
        }
        KvStore kFull = decompressed.k[decompressed.store(l)], vFull = decompressed.v[decompressed.store(l)];
        int first = decompressed.firstStale(l);
        decompressedCells += Math.max(0, cells - first);
        for (int c0 = first; c0 < cells; c0 += ubatch) {
            int m = Math.min(ubatch, cells - c0);
            for (int c = 0; c < m; c++) kCache.get(l, c0 + c, 0, kvl, cellLat, c * kvl);
            backend.matmulUnobserved(L.kvB, cellLat, 0, kvl, m, cellKv, 0, kw);
            for (int c = 0; c < m; c++) {
                kCache.get(l, c0 + c, kvl, rope, kRowBuf, 0);
                for (int h = 0; h < nHead; h++) {
                    System.arraycopy(kRowBuf, 0, oneK, h * dk, rope);
                    System.arraycopy(cellKv, c * kw + h * (nope + dv), oneK, h * dk + rope, nope);
                    System.arraycopy(cellKv, c * kw + h * (nope + dv) + nope, oneV, h * dv, dv);
                }
                kFull.put(0, c0 + c, oneK, 0);
                vFull.put(0, c0 + c, oneV, 0);
            }
        }
        decompressed.filled(l, cells);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < nHead; h++) {
                System.arraycopy(q, t * qw + h * dk + nope, qPerm, t * qw + h * dk, rope);
                System.arraycopy(q, t * qw + h * dk, qPerm, t * qw + h * dk + rope, nope);
            }
        }
        attention.standard(kFull, vFull, 0, pos0, n, qPerm, qw, nHead, nHead, dk, dv, kqScale, att, nHead * dv);
    }

    private float[] kRowBuf, oneK, oneV;

    /** SwiGLU FFN of n tokens: out = down(silu(gate·in) ⊙ up·in). */
    private void ffn(Weight g, Weight u, Weight d, float[] in, int n, float[] out) {
        int f = (int) g.rows();
        backend.matmul(g, in, 0, nEmbd, n, gate, 0, f);
        backend.matmul(u, in, 0, nEmbd, n, up, 0, f);
        swiglu(gate, up, n, f);
        backend.matmul(d, gate, 0, f, n, out, 0, nEmbd);
    }

    private void moe(Layer L, int n) {
        backend.matmul(L.gateInp, xn, 0, nEmbd, n, routerLogits, 0, nExpert);
        java.util.Arrays.fill(expertCount, 0);
        for (int t = 0; t < n; t++) router.route(routerLogits, t * nExpert, L.expBias, selIds, selW, t * nUsed);
        // each expert's rows slot by slot, then by token: the order both tools' mul_mat_id (and their imatrix) use
        for (int k = 0; k < nUsed; k++) {
            for (int t = 0; t < n; t++) {
                int e = selIds[t * nUsed + k];
                int c = expertCount[e]++;
                expertTokens[e * ubatch + c] = t;
                expertSlot[e * ubatch + c] = t * nUsed + k;
            }
        }
        boolean together = backend.fusesProducts();
        if (together) expertsTogether(L, n);
        for (int e = 0; e < nExpert && !together; e++) {
            int m = expertCount[e];
            if (m == 0) continue;
            for (int c = 0; c < m; c++) System.arraycopy(xn, expertTokens[e * ubatch + c] * nEmbd, xe, c * nEmbd, nEmbd);
            backend.matmulExpert(L.gateE[e], xe, 0, nEmbd, m, ge, 0, ffExp);
            backend.matmulExpert(L.upE[e], xe, 0, nEmbd, m, ue, 0, ffExp);
            swiglu(ge, ue, m, ffExp);
            backend.matmulExpert(L.downE[e], ge, 0, ffExp, m, de, 0, nEmbd);
            for (int c = 0; c < m; c++) System.arraycopy(de, c * nEmbd, slotOut, expertSlot[e * ubatch + c] * nEmbd, nEmbd);
        }
        // weighted sum in slot order: mainline rounds each product then adds (ggml_mul, ggml_add of views);
        // ik (and Kiln's own) fuse each later slot into an FMA (iqk_mul_multi_add)
        boolean fused = !mainlineNumerics;
        for (int t = 0; t < n; t++) {
            int o = t * nEmbd;
            for (int k = 0; k < nUsed; k++) {
                int so = (t * nUsed + k) * nEmbd;
                float w = selW[t * nUsed + k];
                if (k == 0) for (int i = 0; i < nEmbd; i++) moeOut[o + i] = slotOut[so + i] * w;
                else if (fused) for (int i = 0; i < nEmbd; i++) moeOut[o + i] = Math.fma(slotOut[so + i], w, moeOut[o + i]);
                else for (int i = 0; i < nEmbd; i++) moeOut[o + i] = moeOut[o + i] + slotOut[so + i] * w;
            }
        }
        if (L.shGate != null) {
            if (!together) ffn(L.shGate, L.shUp, L.shDown, xn, n, tmp); // else expertsTogether left it in tmp
            for (int i = 0; i < n * nEmbd; i++) tmp[i] += moeOut[i];
        } else {
            System.arraycopy(moeOut, 0, tmp, 0, n * nEmbd);
        }
    }

    /**
     * Products of one {@link Backend#matmulAll} step: gate and up of each expert and the shared one (2·nExpert + 2,
     * {@link #expertsTogether}), or one per head ({@link #absorbedAttention}).
     */
    private Backend.Product[] products = new Backend.Product[0];

    /** {@link #products}, at least {@code count} of them (made once, on first use). */
    private Backend.Product[] products(int count) {
        if (products.length < count) {
            products = new Backend.Product[count];
            for (int i = 0; i < count; i++) products[i] = new Backend.Product();
        }
        return products;
    }

    /**
     * The routed experts (and the shared one) of a layer in two parallel steps per pass instead of three per expert:
     * gate and up of every selected expert of the pass, then down of every one — ik's fused MoE ({@code -fmoe}).
     * Each (expert, token) pair gets a slot in xe/ge/ue/de, expert by expert; a pass takes whole experts while their
     * slots fit the ubatch slots of those buffers (an expert has at most n ≤ ubatch slots: a token selects it once),
     * so a prompt batch of n·nUsed slots runs in about n·nUsed/ubatch passes. The shared expert joins the first pass.
     * Each expert's rows are the same kernel calls, on the same tokens in the same order, as {@link #moe}'s loop
     * makes; the outputs go to slotOut as that loop puts them and the shared expert's output to tmp, so the sums
     * that follow are the same.
     */
    private void expertsTogether(Layer L, int n) {
        for (int first = 0; first < nExpert; ) {
            int last = first, slots = 0;
            while (last < nExpert && slots + expertCount[last] <= ubatch) slots += expertCount[last++];
            expertPass(L, n, first, last, first == 0);
            first = last;
        }
    }

    /** Experts [first, last) of a layer, whose slots fit ubatch, in two parallel steps (and the shared one if asked). */
    private void expertPass(Layer L, int n, int first, int last, boolean shared) {
        Backend.Product[] products = products(2 * nExpert + 2);
        boolean sh = shared && L.shGate != null;
        int count = 0, slots = 0;
        for (int e = first; e < last; e++) {
            int m = expertCount[e];
            if (m == 0) continue;
            for (int c = 0; c < m; c++) System.arraycopy(xn, expertTokens[e * ubatch + c] * nEmbd, xe, (slots + c) * nEmbd, nEmbd);
            products[count++].set(L.gateE[e], xe, slots * nEmbd, nEmbd, m, ge, slots * ffExp, ffExp, true);
            products[count++].set(L.upE[e], xe, slots * nEmbd, nEmbd, m, ue, slots * ffExp, ffExp, true);
            slots += m;
        }
        int fs = sh ? (int) L.shGate.rows() : 0;
        if (sh) {
            products[count++].set(L.shGate, xn, 0, nEmbd, n, gate, 0, fs, false);
            products[count++].set(L.shUp, xn, 0, nEmbd, n, up, 0, fs, false);
        }
        backend.matmulAll(products, count);
        swiglu(ge, ue, slots, ffExp);
        if (sh) swiglu(gate, up, n, fs);
        count = 0;
        slots = 0;
        for (int e = first; e < last; e++) {
            int m = expertCount[e];
            if (m == 0) continue;
            products[count++].set(L.downE[e], ge, slots * ffExp, ffExp, m, de, slots * nEmbd, nEmbd, true);
            slots += m;
        }
        if (sh) products[count++].set(L.shDown, gate, 0, fs, n, tmp, 0, nEmbd, false);
        backend.matmulAll(products, count);
        slots = 0;
        for (int e = first; e < last; e++) {
            int m = expertCount[e];
            for (int c = 0; c < m; c++) System.arraycopy(de, (slots + c) * nEmbd, slotOut, expertSlot[e * ubatch + c] * nEmbd, nEmbd);
            slots += m;
        }
    }

    @Override
    public void close() {
        super.close();
        derived.close();
    }
}
