package kiln.validate.compat;

import kiln.tensor.gguf.TensorInfo;
import kiln.validate.ModelView;

import static kiln.validate.compat.Names.blk;
import static kiln.validate.compat.Names.blkBias;
import static kiln.validate.compat.TensorLoader.NOT_REQUIRED;
import static kiln.validate.compat.TensorLoader.REQUIRED;
import static kiln.validate.compat.TensorLoader.DUPLICATED;
import static kiln.validate.compat.TensorLoader.ne;

/**
 * The {@code deepseek2} loaders of mainline llama.cpp ({@code llama_model_deepseek2}), ik_llama.cpp
 * ({@code llama-hparams.cpp} + {@code create_deepseek2_tensors}) and Kiln, replayed on a file's metadata and
 * tensor list (spec ik-llama-formats.md §1.4–1.7, gguf-and-quants.md §7).
 */
final class Deepseek2Rules {
    private Deepseek2Rules() {}

    static final String ARCH = "deepseek2";

    /** The sizes every loader starts from (generic hparams of llama.cpp/ik). */
    private record Base(long nLayer, long nVocab, long nEmbd, long nHead, long nHeadKv, long nFf, long nExpert,
                        long nExpertUsed, long keyLength, long valueLength, long nRot) {}

    private static Base base(Hparams hp) throws LoadFailure {
        long nLayer = hp.layers();
        long nVocab = hp.vocab();
        hp.required("context_length");
        long nEmbd = hp.required("embedding_length");
        long nExpert = hp.optional("expert_count", 0);
        long nExpertUsed = hp.optional("expert_used_count", 0);
        long nFf = hp.optional("feed_forward_length", 0);
        long nHead = hp.optional("attention.head_count", 0);
        long nHeadKv = hp.optional("attention.head_count_kv", nHead);
        long dflt = nHead > 0 ? nEmbd / nHead : 0;
        long keyLength = hp.optional("attention.key_length", dflt);
        long valueLength = hp.optional("attention.value_length", dflt);
        long nRot = hp.optional("rope.dimension_count", keyLength);
        return new Base(nLayer, nVocab, nEmbd, nHead, nHeadKv, nFf, nExpert, nExpertUsed, keyLength, valueLength, nRot);
    }

    /** Both reference runtimes decide "no q_lora" from the layer count alone. */
    static boolean liteByDepth(long nLayer, long nVocab) {
        return nLayer == 26 || nLayer == 27 || (nLayer == 48 && nVocab == 128256);
    }

    /** The file's layout ({@link kiln.tensor.gguf.MlaLayout#of}) in words, for the verdicts' notes. */
    static String layout(ModelView m) {
        kiln.tensor.gguf.MlaLayout l = kiln.tensor.gguf.MlaLayout.of(m.tensors());
        if (l == null) return "unknown MLA layout (no attn_kv_b, no attn_k_b)";
        return (l == kiln.tensor.gguf.MlaLayout.MAINLINE ? "mainline MLA layout" : l.label() + " layout") + " (" + l.tensors() + ")";
    }

    // ---------------------------------------------------------------- mainline llama.cpp

    static LoaderReplay mainline(ModelView m) throws LoadFailure {
        Hparams hp = new Hparams(m.metadata(), ARCH);
        Base b = base(hp);
        boolean lite = liteByDepth(b.nLayer, b.nVocab);
        hp.required("attention.layer_norm_rms_epsilon");
        long dense = hp.optional("leading_dense_block_count", 0);
        long qLora = 0;
        if (!lite) {
            if (!hp.has("attention.q_lora_rank")) {
                throw new LoadFailure("key not found in model: " + hp.key("attention.q_lora_rank") + " (llama.cpp assumes"
                        + " a model without q_lora only for 26 or 27 layers, or 48 with vocab 128256; this one has " + b.nLayer
                        + " layers: run it with --override-kv " + hp.key("attention.q_lora_rank") + "=int:0)");
            }
            qLora = hp.required("attention.q_lora_rank");
        }
        long kvLora = hp.required("attention.kv_lora_rank");
        long kMla = hp.optional("attention.key_length_mla", 0);
        long vMla = hp.optional("attention.value_length_mla", 0);
        long ffExp = hp.required("expert_feed_forward_length");
        long nShared = hp.required("expert_shared_count");
        boolean isMla = kMla != 0 && vMla != 0;
        long headK = isMla ? kMla : b.keyLength;
        long headV = isMla ? vMla : b.valueLength;
        long qkNope = headK - b.nRot;
        if (qkNope < 1) {
            throw new LoadFailure("GGML_ASSERT(n_embd_head_qk_nope >= 1) failed: key length " + headK + ", rope dimensions " + b.nRot);
        }
        TensorLoader l = new TensorLoader(m);
        LoaderReplay replay = new LoaderReplay(l);
        replay.note = isMla ? "mainline MLA layout" : "legacy MLA layout (no key_length_mla/value_length_mla keys: runs as plain multi-head attention)";
        l.create("token_embd.weight", ne(b.nEmbd, b.nVocab), REQUIRED);
        l.create("output_norm.weight", ne(b.nEmbd), REQUIRED);
        if (!l.create("output.weight", ne(b.nEmbd, b.nVocab), NOT_REQUIRED)) {
            l.create("token_embd.weight", ne(b.nEmbd, b.nVocab), DUPLICATED);
        }
        for (long i = 0; i < b.nLayer; i++) {
            l.create(blk(i, "attn_norm"), ne(b.nEmbd), REQUIRED);
            if (qLora > 0) l.create(blk(i, "attn_q_a_norm"), ne(qLora), REQUIRED);
            l.create(blk(i, "attn_kv_a_norm"), ne(kvLora), REQUIRED);
            if (qLora > 0) {
                l.create(blk(i, "attn_q_a"), ne(b.nEmbd, qLora), REQUIRED);
                l.create(blk(i, "attn_q_b"), ne(qLora, b.nHead * headK), REQUIRED);
            } else {
                l.create(blk(i, "attn_q"), ne(b.nEmbd, b.nHead * headK), REQUIRED);
            }
            l.create(blk(i, "attn_kv_a_mqa"), ne(b.nEmbd, kvLora + b.nRot), REQUIRED);
            if (isMla) {
                l.create(blk(i, "attn_k_b"), ne(qkNope, kvLora, b.nHead), REQUIRED);
                l.create(blk(i, "attn_v_b"), ne(kvLora, headV, b.nHead), REQUIRED);
            } else {
                l.create(blk(i, "attn_kv_b"), ne(kvLora, b.nHead * (qkNope + headV)), REQUIRED);
            }
            l.create(blk(i, "attn_output"), ne(b.nHead * headV, b.nEmbd), REQUIRED);
            l.create(blk(i, "ffn_norm"), ne(b.nEmbd), REQUIRED);
            if (i < dense) {
                denseFfn(l, i, b.nEmbd, b.nFf);
            } else {
                if (b.nExpert == 0) throw new LoadFailure("n_expert must be > 0");
                if (b.nExpertUsed == 0) throw new LoadFailure("n_expert_used must be > 0");
                l.create(blk(i, "ffn_gate_inp"), ne(b.nEmbd, b.nExpert), REQUIRED);
                l.create(blkBias(i, "exp_probs_b"), ne(b.nExpert), NOT_REQUIRED);
                l.create(blk(i, "ffn_down_exps"), ne(ffExp, b.nEmbd, b.nExpert), REQUIRED);
                gateUpExps(l, i, b.nEmbd, ffExp, b.nExpert);
                sharedExperts(l, i, b.nEmbd, ffExp * nShared);
            }
        }
        return replay;
    }

    // ---------------------------------------------------------------- ik_llama.cpp

    static LoaderReplay ik(ModelView m) throws LoadFailure {
        Hparams hp = new Hparams(m.metadata(), ARCH);
        Base b = base(hp);
        long nHeadKv = b.nHeadKv;
        long headK = b.keyLength;
        long headV = b.valueLength;
        boolean adapted = false;
        if (b.nHeadKv == 1) {
            long nGqa = b.nHead;
            if (nGqa % 4 != 0 || b.keyLength != 576 || b.valueLength != 512 || b.nRot != 64) {
                throw new LoadFailure("Detected incompatible DeepSeek model without a known way to fix it. (ik_llama.cpp aborts:"
                        + " it adapts mainline's MLA layout only for the DeepSeek sizes key_length 576, value_length 512, rope 64"
                        + " and a head count divisible by 4; this file has key_length " + b.keyLength + ", value_length "
                        + b.valueLength + ", rope " + b.nRot + ", " + b.nHead + " heads)");
            }
            adapted = true;
            nHeadKv = nGqa;
            headK = hp.required("attention.key_length_mla");
            headV = hp.required("attention.value_length_mla");
        }
        boolean liteH = liteByDepth(b.nLayer, b.nVocab);
        hp.required("attention.layer_norm_rms_epsilon");
        long dense = hp.required("leading_dense_block_count");
        long qLora = 0;
        if (!liteH) {
            if (!hp.has("attention.q_lora_rank")) {
                throw new LoadFailure("key not found in model: " + hp.key("attention.q_lora_rank") + " (ik_llama.cpp assumes"
                        + " a model without q_lora only for 26 or 27 layers; this one has " + b.nLayer + " layers, and no"
                        + " key override helps because its tensor loader also decides by layer count)");
            }
            qLora = hp.required("attention.q_lora_rank");
        }
        long kvLora = hp.required("attention.kv_lora_rank");
        long ffExp = hp.required("expert_feed_forward_length");
        long nShared = hp.required("expert_shared_count");
        hp.required("expert_weights_scale");
        if (b.nExpert > 0 && b.nExpertUsed == 0) throw new LoadFailure("model has expert layers but no expert layers are used");

        boolean liteT = b.nLayer == 26 || b.nLayer == 27;
        long qkNope = headK - b.nRot;
        TensorLoader l = new TensorLoader(m);
        LoaderReplay replay = new LoaderReplay(l);
        l.create("token_embd.weight", ne(b.nEmbd, b.nVocab), REQUIRED);
        l.create("output_norm.weight", ne(b.nEmbd), REQUIRED);
        l.create("output.weight", ne(b.nEmbd, b.nVocab), REQUIRED);
        boolean anyKvB = false;
        for (long i = 0; i < b.nLayer; i++) {
            l.create(blk(i, "attn_norm"), ne(b.nEmbd), REQUIRED);
            if (!liteT) l.create(blk(i, "attn_q_a_norm"), ne(qLora), REQUIRED);
            l.create(blk(i, "attn_kv_a_norm"), ne(kvLora), REQUIRED);
            if (!liteT) {
                l.create(blk(i, "attn_q_a"), ne(b.nEmbd, qLora), REQUIRED);
                l.create(blk(i, "attn_q_b"), ne(qLora, b.nHead * headK), REQUIRED);
            } else {
                l.create(blk(i, "attn_q"), ne(b.nEmbd, headK * nHeadKv), REQUIRED);
            }
            l.create(blk(i, "attn_kv_a_mqa"), ne(b.nEmbd, kvLora + b.nRot), REQUIRED);
            if (l.create(blk(i, "attn_kv_b"), ne(kvLora, b.nHead * (qkNope + headV)), NOT_REQUIRED)) {
                anyKvB = true;
                l.create(blk(i, "attn_k_b"), ne(qkNope, b.nHead * kvLora), NOT_REQUIRED);
                l.create(blk(i, "attn_v_b"), ne(kvLora, b.nHead * headV), NOT_REQUIRED);
            } else {
                l.create(blk(i, "attn_k_b"), ne(qkNope, kvLora, b.nHead), REQUIRED);
                l.create(blk(i, "attn_v_b"), ne(kvLora, headV, b.nHead), REQUIRED);
            }
            l.create(blk(i, "attn_output"), ne(b.nHead * headV, b.nEmbd), REQUIRED);
            l.create(blk(i, "ffn_norm"), ne(b.nEmbd), REQUIRED);
            if (i < dense) {
                denseFfn(l, i, b.nEmbd, b.nFf);
            } else {
                l.create(blk(i, "ffn_gate_inp"), ne(b.nEmbd, b.nExpert), REQUIRED);
                l.create(blkBias(i, "exp_probs_b"), ne(b.nExpert), NOT_REQUIRED);
                if (b.nExpert <= 0 || b.nExpertUsed <= 0) throw new LoadFailure("GGML_ASSERT(n_expert > 0 && n_expert_used > 0) failed");
                if (l.present(blk(i, "ffn_gate_up_exps"))) {
                    l.create(blk(i, "ffn_gate_up_exps"), ne(b.nEmbd, 2 * ffExp, b.nExpert), REQUIRED);
                } else {
                    l.create(blk(i, "ffn_up_exps"), ne(b.nEmbd, ffExp, b.nExpert), REQUIRED);
                    l.create(blk(i, "ffn_gate_exps"), ne(b.nEmbd, ffExp, b.nExpert), REQUIRED);
                }
                l.create(blk(i, "ffn_down_exps"), ne(ffExp, b.nEmbd, b.nExpert), REQUIRED);
                sharedExperts(l, i, b.nEmbd, ffExp * nShared);
            }
        }
        if (adapted) {
            replay.note = "adapts mainline's MLA layout (\"Adjusted mainline llama.cpp MLA tensors to ik_llama.cpp\"; derives attn_kv_b at load time)";
        } else if (!anyKvB) {
            replay.note = "mainline MLA layout";
        } else if (l.present(blk(0, "attn_k_b"))) {
            replay.note = "ik layout";
        } else {
            replay.note = "legacy MLA layout (derives attn_k_b/attn_v_b at load time)";
        }
        long groups = hp.optional("expert_group_count", 0);
        long groupsUsed = hp.optional("expert_group_used_count", 0);
        if (groups > 1 && groupsUsed < groups) {
            replay.warnings.add("ik_llama.cpp ignores the expert groups (" + hp.key("expert_group_count") + " " + groups + ", "
                    + hp.key("expert_group_used_count") + " " + groupsUsed + ") and picks the top " + b.nExpertUsed + " of all "
                    + b.nExpert + " experts, so it routes differently from the trained model (tiny-deepseek: perplexity 80.2"
                    + " instead of 76.8)");
        }
        return replay;
    }

    // ---------------------------------------------------------------- Kiln

    /** Kiln's runtime: ik, mainline and legacy MLA layouts, q_lora or not at any depth, tied or separate output. */
    static LoaderReplay kiln(ModelView m) throws LoadFailure {
        Hparams hp = new Hparams(m.metadata(), ARCH);
        Base b = base(hp);
        hp.required("attention.layer_norm_rms_epsilon");
        long dense = hp.optional("leading_dense_block_count", 0);
        long qLora = hp.optional("attention.q_lora_rank", 0);
        long kvLora = hp.required("attention.kv_lora_rank");
        long kMla = hp.optional("attention.key_length_mla", 0);
        long vMla = hp.optional("attention.value_length_mla", 0);
        long ffExp = hp.required("expert_feed_forward_length");
        long nShared = hp.required("expert_shared_count");
        boolean isMla = kMla != 0 && vMla != 0;
        long headK = isMla ? kMla : b.keyLength;
        long headV = isMla ? vMla : b.valueLength;
        if (!isMla && b.nHeadKv == 1 && b.nHead > 1) {
            throw new LoadFailure("head_count_kv is 1 (mainline MLA metadata) but " + hp.key("attention.key_length_mla")
                    + "/value_length_mla are missing, so the per-head sizes are unknown");
        }
        long qkNope = headK - b.nRot;
        if (qkNope < 1) throw new LoadFailure("key length " + headK + " leaves no room for " + b.nRot + " rope dimensions");
        TensorLoader l = new TensorLoader(m);
        LoaderReplay replay = new LoaderReplay(l);
        replay.note = layout(m);
        l.create("token_embd.weight", ne(b.nEmbd, b.nVocab), REQUIRED);
        l.create("output_norm.weight", ne(b.nEmbd), REQUIRED);
        l.create("output.weight", ne(b.nEmbd, b.nVocab), NOT_REQUIRED);
        for (long i = 0; i < b.nLayer; i++) {
            l.create(blk(i, "attn_norm"), ne(b.nEmbd), REQUIRED);
            if (qLora > 0) {
                l.create(blk(i, "attn_q_a_norm"), ne(qLora), REQUIRED);
                l.create(blk(i, "attn_q_a"), ne(b.nEmbd, qLora), REQUIRED);
                l.create(blk(i, "attn_q_b"), ne(qLora, b.nHead * headK), REQUIRED);
            } else {
                l.create(blk(i, "attn_q"), ne(b.nEmbd, b.nHead * headK), REQUIRED);
            }
            l.create(blk(i, "attn_kv_a_norm"), ne(kvLora), REQUIRED);
            l.create(blk(i, "attn_kv_a_mqa"), ne(b.nEmbd, kvLora + b.nRot), REQUIRED);
            boolean kvb = l.create(blk(i, "attn_kv_b"), ne(kvLora, b.nHead * (qkNope + headV)), NOT_REQUIRED);
            TensorInfo kb = l.info(blk(i, "attn_k_b"));
            boolean threeD = kb == null ? !kvb : kb.nDims() == 3;
            int flags = kvb ? NOT_REQUIRED : REQUIRED;
            if (threeD) {
                l.create(blk(i, "attn_k_b"), ne(qkNope, kvLora, b.nHead), flags);
                l.create(blk(i, "attn_v_b"), ne(kvLora, headV, b.nHead), flags);
            } else {
                l.create(blk(i, "attn_k_b"), ne(qkNope, b.nHead * kvLora), flags);
                l.create(blk(i, "attn_v_b"), ne(kvLora, b.nHead * headV), flags);
            }
            l.create(blk(i, "attn_output"), ne(b.nHead * headV, b.nEmbd), REQUIRED);
            l.create(blk(i, "ffn_norm"), ne(b.nEmbd), REQUIRED);
            if (i < dense) {
                denseFfn(l, i, b.nEmbd, b.nFf);
            } else {
                if (b.nExpert <= 0 || b.nExpertUsed <= 0) throw new LoadFailure("MoE layers need expert_count and expert_used_count > 0");
                l.create(blk(i, "ffn_gate_inp"), ne(b.nEmbd, b.nExpert), REQUIRED);
                l.create(blkBias(i, "exp_probs_b"), ne(b.nExpert), NOT_REQUIRED);
                l.create(blk(i, "ffn_down_exps"), ne(ffExp, b.nEmbd, b.nExpert), REQUIRED);
                gateUpExps(l, i, b.nEmbd, ffExp, b.nExpert);
                sharedExperts(l, i, b.nEmbd, ffExp * nShared);
            }
        }
        return replay;
    }

    // ---------------------------------------------------------------- shared pieces

    private static void denseFfn(TensorLoader l, long i, long nEmbd, long nFf) {
        l.create(blk(i, "ffn_gate"), ne(nEmbd, nFf), REQUIRED);
        l.create(blk(i, "ffn_down"), ne(nFf, nEmbd), REQUIRED);
        l.create(blk(i, "ffn_up"), ne(nEmbd, nFf), REQUIRED);
    }

    private static void gateUpExps(TensorLoader l, long i, long nEmbd, long ffExp, long nExpert) {
        if (l.present(blk(i, "ffn_gate_up_exps"))) {
            l.create(blk(i, "ffn_gate_up_exps"), ne(nEmbd, 2 * ffExp, nExpert), REQUIRED);
        } else {
            l.create(blk(i, "ffn_gate_exps"), ne(nEmbd, ffExp, nExpert), REQUIRED);
            l.create(blk(i, "ffn_up_exps"), ne(nEmbd, ffExp, nExpert), REQUIRED);
        }
    }

    private static void sharedExperts(TensorLoader l, long i, long nEmbd, long nFfShared) {
        l.create(blk(i, "ffn_gate_shexp"), ne(nEmbd, nFfShared), REQUIRED);
        l.create(blk(i, "ffn_down_shexp"), ne(nFfShared, nEmbd), REQUIRED);
        l.create(blk(i, "ffn_up_shexp"), ne(nEmbd, nFfShared), REQUIRED);
    }
}
