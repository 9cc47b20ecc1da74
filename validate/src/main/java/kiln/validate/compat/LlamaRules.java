package kiln.validate.compat;

import kiln.validate.ModelView;

import static kiln.validate.compat.Names.blk;
import static kiln.validate.compat.Names.blkBias;
import static kiln.validate.compat.TensorLoader.DUPLICATED;
import static kiln.validate.compat.TensorLoader.NOT_REQUIRED;
import static kiln.validate.compat.TensorLoader.REQUIRED;
import static kiln.validate.compat.TensorLoader.ne;

/**
 * The {@code llama} loader. Mainline, ik_llama.cpp and Kiln ask for the same tensors (separate or fused QKV,
 * optional biases, optional untied output, optional rope_freqs, dense or MoE FFN).
 */
final class LlamaRules {
    private LlamaRules() {}

    static final String ARCH = "llama";

    static LoaderReplay any(ModelView m) throws LoadFailure {
        Hparams hp = new Hparams(m.metadata(), ARCH);
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
        long headK = hp.optional("attention.key_length", dflt);
        long headV = hp.optional("attention.value_length", dflt);
        long nRot = hp.optional("rope.dimension_count", headK);
        if (nRot != headK) throw new LoadFailure("invalid n_rot: " + nRot + ", expected " + headK);
        hp.required("attention.layer_norm_rms_epsilon");
        if (nExpert > 0 && nExpertUsed == 0) throw new LoadFailure("model has expert layers but no expert layers are used");

        TensorLoader l = new TensorLoader(m);
        LoaderReplay replay = new LoaderReplay(l);
        l.create("token_embd.weight", ne(nEmbd, nVocab), REQUIRED);
        l.create("output_norm.weight", ne(nEmbd), REQUIRED);
        boolean untied = l.create("output.weight", ne(nEmbd, nVocab), NOT_REQUIRED);
        if (!untied) l.create("token_embd.weight", ne(nEmbd, nVocab), DUPLICATED);
        replay.note = untied ? "" : "tied output (uses token_embd)";
        long q = headK * nHead;
        long kGqa = headK * nHeadKv;
        long vGqa = headV * nHeadKv;
        for (long i = 0; i < nLayer; i++) {
            l.create(blk(i, "attn_norm"), ne(nEmbd), REQUIRED);
            if (l.present(blk(i, "attn_qkv"))) {
                l.create(blk(i, "attn_qkv"), ne(nEmbd, q + kGqa + vGqa), REQUIRED);
                l.create(blkBias(i, "attn_qkv"), ne(q + kGqa + vGqa), NOT_REQUIRED);
            } else {
                l.create(blk(i, "attn_q"), ne(nEmbd, q), REQUIRED);
                l.create(blk(i, "attn_k"), ne(nEmbd, kGqa), REQUIRED);
                l.create(blk(i, "attn_v"), ne(nEmbd, vGqa), REQUIRED);
                l.create(blkBias(i, "attn_q"), ne(q), NOT_REQUIRED);
                l.create(blkBias(i, "attn_k"), ne(kGqa), NOT_REQUIRED);
                l.create(blkBias(i, "attn_v"), ne(vGqa), NOT_REQUIRED);
            }
            l.create(blk(i, "attn_output"), ne(q, nEmbd), REQUIRED);
            l.create(blkBias(i, "attn_output"), ne(nEmbd), NOT_REQUIRED);
            l.create(blk(i, "ffn_norm"), ne(nEmbd), REQUIRED);
            l.create("rope_freqs.weight", ne(nRot / 2), NOT_REQUIRED | (i != 0 ? DUPLICATED : 0));
            if (nExpert == 0) {
                l.create(blk(i, "ffn_gate"), ne(nEmbd, nFf), REQUIRED);
                l.create(blk(i, "ffn_down"), ne(nFf, nEmbd), REQUIRED);
                l.create(blk(i, "ffn_up"), ne(nEmbd, nFf), REQUIRED);
                l.create(blkBias(i, "ffn_gate"), ne(nFf), NOT_REQUIRED);
                l.create(blkBias(i, "ffn_down"), ne(nEmbd), NOT_REQUIRED);
                l.create(blkBias(i, "ffn_up"), ne(nFf), NOT_REQUIRED);
            } else {
                l.create(blk(i, "ffn_gate_inp"), ne(nEmbd, nExpert), REQUIRED);
                l.create(blk(i, "ffn_gate_exps"), ne(nEmbd, nFf, nExpert), NOT_REQUIRED);
                l.create(blk(i, "ffn_down_exps"), ne(nFf, nEmbd, nExpert), REQUIRED);
                l.create(blk(i, "ffn_up_exps"), ne(nEmbd, nFf, nExpert), REQUIRED);
            }
        }
        return replay;
    }
}
