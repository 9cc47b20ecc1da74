package kiln.convert.relayout;

import kiln.convert.arch.DeepseekKeys;
import kiln.convert.arch.DeepseekParams;
import kiln.tensor.gguf.MlaLayout;
import kiln.convert.arch.RopeScaling;
import kiln.convert.tensors.GgufTensorData;
import kiln.convert.tensors.TensorData;
import kiln.convert.tensors.Views;
import kiln.convert.write.GgufSink;
import kiln.convert.write.PlannedTensor;
import kiln.tensor.KilnException;
import kiln.tensor.repack.Interleavers;
import kiln.tensor.repack.RepackFileTypes;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Re-layout of a DeepSeek (deepseek2) GGUF between the MLA layouts without the HuggingFace folder. ik → mainline drops
 * attn_kv_b and reshapes attn_k_b/attn_v_b (same bytes, any type); mainline → ik rebuilds attn_kv_b from attn_k_b/attn_v_b
 * (exact for F32/F16/BF16, refused for quantized halves). Keys are rewritten by the same code as conversion. For the
 * mainline layout, ik's interleaved tensors are unpacked to their base types (llama.cpp cannot load them).
 */
public final class Relayout {
    private Relayout() {}

    private static final String A = "deepseek2.";

    public static List<Path> run(Path in, Path out, MlaLayout target, long splitMaxSize, int threads, boolean progress) {
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new KilnException(out + ": output must differ from the input");
        }
        try (GgufFile f = GgufFile.open(in)) {
            GgufMetadata m = f.metadata();
            String arch = m.architecture();
            if (!"deepseek2".equals(arch)) throw new KilnException(in + ": architecture is '" + arch + "', re-layout needs deepseek2");
            MlaLayout from = detect(f);
            DeepseekParams p = params(in.toString(), m, from);
            List<PlannedTensor> tensors = tensors(in.toString(), f, p, from, target);
            GgufMetadata meta = metadata(m, p, from, target, fileType(m, tensors));
            long total = 0;
            for (PlannedTensor t : tensors) total += t.byteSize();
            Progress pr = progress ? new Progress("re-layout", tensors.size(), total)
                    : new Progress("re-layout", tensors.size(), total, false, System.err);
            return GgufSink.write(out, meta, tensors, splitMaxSize, threads, pr, kiln.convert.write.NonFiniteValues.allowed());
        }
    }

    /** The layout of a deepseek2 file ({@link MlaLayout#of}); a file without MLA tensors is refused. */
    public static MlaLayout detect(GgufFile f) {
        MlaLayout l = MlaLayout.of(f.tensors());
        if (l == null) throw new KilnException(f.path() + ": no attn_kv_b or attn_k_b tensors");
        return l;
    }

    static DeepseekParams params(String file, GgufMetadata m, MlaLayout from) {
        long rope = m.requireLong(A + "rope.dimension_count");
        long nHead = m.requireLong(A + "attention.head_count");
        long nope, v;
        if (from == MlaLayout.MAINLINE) {
            nope = m.requireLong(A + "attention.key_length_mla") - rope;
            v = m.requireLong(A + "attention.value_length_mla");
        } else {
            nope = m.requireLong(A + "attention.key_length") - rope;
            v = m.requireLong(A + "attention.value_length");
        }
        RopeScaling rs = null;
        String type = m.getString(A + "rope.scaling.type", null);
        if (type != null) {
            rs = new RopeScaling(type, dbl(m, "rope.scaling.factor"), lng(m, "rope.scaling.original_context_length"),
                    dbl(m, "rope.scaling.yarn_ext_factor"), dbl(m, "rope.scaling.yarn_attn_factor"), dbl(m, "rope.scaling.yarn_beta_fast"),
                    dbl(m, "rope.scaling.yarn_beta_slow"), m.contains(A + "rope.scaling.yarn_log_multiplier")
                    ? m.getDouble(A + "rope.scaling.yarn_log_multiplier", 0) / 0.1 : null);
        }
        Long kvHeads = from == MlaLayout.MAINLINE ? Long.valueOf(nHead) : lng(m, "attention.head_count_kv");
        Boolean norm = m.contains(A + "expert_weights_norm") ? m.getBool(A + "expert_weights_norm", false) : null;
        Long gating = lng(m, "expert_gating_func");
        return new DeepseekParams(m.requireLong(A + "block_count"), lng(m, "context_length"), m.requireLong(A + "embedding_length"),
                lng(m, "feed_forward_length"), nHead, kvHeads, dbl(m, "rope.freq_base"), dbl(m, "attention.layer_norm_rms_epsilon"),
                lng(m, "expert_count"), lng(m, "expert_used_count"), lng(m, "expert_group_count"), lng(m, "expert_group_used_count"),
                gating == null ? null : gating.intValue(), m.getLong(A + "leading_dense_block_count", 0), m.requireLong(A + "vocab_size"),
                lng(m, "attention.q_lora_rank"), m.requireLong(A + "attention.kv_lora_rank"), nope, rope, v,
                lng(m, "expert_feed_forward_length"), m.getLong(A + "expert_shared_count", 0), dbl(m, "expert_weights_scale"), norm, rs);
    }

    private static Long lng(GgufMetadata m, String k) {
        return m.contains(A + k) ? m.getLong(A + k, 0) : null;
    }

    private static Double dbl(GgufMetadata m, String k) {
        return m.contains(A + k) ? m.getDouble(A + k, 0) : null;
    }

    /**
     * Keeps every key that is not deepseek2.* or general.file_type in its place, puts the rebuilt architecture block where
     * the old one began, and moves general.quantization_version to the target converter's position when it sat at the
     * source converter's position.
     */
    static GgufMetadata metadata(GgufMetadata m, DeepseekParams p, MlaLayout from, MlaLayout target) {
        return metadata(m, p, from, target, m.requireLong("general.file_type"));
    }

    /**
     * general.file_type of the output: the input's, or where interleaved tensors were unpacked for mainline, the
     * file type {@code kiln repack --undo} restores (ik's inverse of its repacked_ftype map).
     */
    static long fileType(GgufMetadata m, List<PlannedTensor> tensors) {
        long ftype = m.requireLong("general.file_type");
        if (tensors.stream().noneMatch(t -> t.unpack() != null)) return ftype;
        List<TensorInfo> unpacked = new ArrayList<>();
        for (PlannedTensor t : tensors) unpacked.add(new TensorInfo(t.name(), t.type(), t.ne(), 0, 0));
        return RepackFileTypes.undo(ftype, unpacked);
    }

    static GgufMetadata metadata(GgufMetadata m, DeepseekParams p, MlaLayout from, MlaLayout target, long fileType) {
        GgufMetadata block = new GgufMetadata();
        boolean groups = p.nGroup() != null || p.topkGroup() != null;
        DeepseekKeys.write(block, p, target, groups, (int) fileType);
        if (m.contains(A + "rope.scaling.yarn_log_multiplier") && block.contains(A + "rope.scaling.yarn_log_multiplier")) {
            block.put(A + "rope.scaling.yarn_log_multiplier", m.get(A + "rope.scaling.yarn_log_multiplier"));
        }
        List<String> keys = new ArrayList<>(m.keys());
        String qv = "general.quantization_version";
        int qi = keys.indexOf(qv);
        int tok = keys.indexOf("tokenizer.ggml.model");
        boolean mainlineStyle = qi >= 0 && tok == qi + 1;
        boolean ikStyle = qi >= 0 && qi == keys.size() - 1 && tok >= 0 && tok < qi;
        boolean moveQv = (target == MlaLayout.MAINLINE && ikStyle) || (target != MlaLayout.MAINLINE && mainlineStyle);
        GgufMetadata out = new GgufMetadata();
        boolean placed = false;
        for (Map.Entry<String, GgufValue> e : m.asMap().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(A) || k.equals("general.file_type")) {
                if (!placed) {
                    for (Map.Entry<String, GgufValue> b : block.asMap().entrySet()) out.put(b.getKey(), b.getValue());
                    placed = true;
                }
                continue;
            }
            if (k.startsWith("split.")) continue;
            if (k.equals(qv) && moveQv) continue;
            if (moveQv && target == MlaLayout.MAINLINE && k.equals("tokenizer.ggml.model")) out.put(qv, m.get(qv));
            out.put(k, e.getValue());
        }
        if (moveQv && target != MlaLayout.MAINLINE) out.put(qv, m.get(qv));
        return out;
    }

    static List<PlannedTensor> tensors(String file, GgufFile f, DeepseekParams p, MlaLayout from, MlaLayout target) {
        long nh = p.nHead(), nope = p.nope(), v = p.v(), kvl = p.kvLora();
        List<PlannedTensor> out = new ArrayList<>();
        for (TensorInfo t : f.tensors()) {
            String n = t.name();
            boolean kvb = n.endsWith(".attn_kv_b.weight"), kb = n.endsWith(".attn_k_b.weight"), vb = n.endsWith(".attn_v_b.weight");
            if (!kvb && !kb && !vb) {
                out.add(copied(n, t, t.ne(), f, target));
                continue;
            }
            String blk = n.substring(0, n.lastIndexOf(kvb ? ".attn_kv_b" : kb ? ".attn_k_b" : ".attn_v_b"));
            TensorInfo tkv = f.tensor(blk + ".attn_kv_b.weight");
            TensorInfo tk = f.tensor(blk + ".attn_k_b.weight");
            TensorInfo tv = f.tensor(blk + ".attn_v_b.weight");
            // Emit the whole attention group once, at the position of its first tensor.
            String first = tkv != null ? tkv.name() : tk.name();
            if (!n.equals(first)) continue;
            TensorData kvData;
            if (target != MlaLayout.MAINLINE) {
                if (tkv != null) out.add(copied(tkv.name(), tkv, tkv.ne(), f, target));
                else {
                    kvData = Views.kvbFromParts(new GgufTensorData(file, tk, f.data(tk)), new GgufTensorData(file, tv, f.data(tv)), nh, nope, v, kvl);
                    out.add(new PlannedTensor(blk + ".attn_kv_b.weight", tk.type(), new long[]{kvl, nh * (nope + v)}, kvData));
                }
            }
            if (target == MlaLayout.LEGACY) continue;
            long[] kne = target == MlaLayout.MAINLINE ? new long[]{nope, kvl, nh} : new long[]{nope, nh * kvl};
            long[] vne = target == MlaLayout.MAINLINE ? new long[]{kvl, v, nh} : new long[]{kvl, nh * v};
            if (tk != null && tv != null) {
                out.add(copied(blk + ".attn_k_b.weight", tk, kne, f, target));
                out.add(copied(blk + ".attn_v_b.weight", tv, vne, f, target));
            } else {
                TensorData kv = new GgufTensorData(file, tkv, f.data(tkv));
                out.add(new PlannedTensor(blk + ".attn_k_b.weight", tkv.type(), kne, Views.kbTransposed(kv, nh, nope, v, kvl)));
                out.add(new PlannedTensor(blk + ".attn_v_b.weight", tkv.type(), vne, Views.vb(kv, nh, nope, v, kvl)));
            }
        }
        return out;
    }

    /**
     * A tensor copied as it is — except that for the mainline layout an interleaved (_R4/_R8) tensor is unpacked to its
     * base type, losslessly, because llama.cpp cannot load ik's interleaved types.
     */
    private static PlannedTensor copied(String name, TensorInfo t, long[] ne, GgufFile f, MlaLayout target) {
        if (target == MlaLayout.MAINLINE && t.type().isInterleaved()) {
            return PlannedTensor.unpacked(name, Interleavers.requirePacked(t.type()), ne, f.data(t));
        }
        return new PlannedTensor(name, t.type(), ne, null, f.data(t));
    }
}
