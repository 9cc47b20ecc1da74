package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Zero-weight Llama-architecture GGUFs of shapes the fixture models lack, for ik's type rules that look at them
 * (the weights never matter to the type choice): {@code gqa4} (8 layers, 8 heads sharing 2 K/V heads),
 * {@code moe4} (8 layers, 4 experts, 2 used) and {@code qkv} (8 layers, fused attn_qkv). Deterministic;
 * {@code main(KIND, OUT)} writes one for the reference runs.
 */
final class SyntheticGguf {
    private SyntheticGguf() {}

    static final List<String> KINDS = List.of("gqa4", "moe4", "qkv");

    static Path write(String kind, Path out) {
        return write(kind, out, true);
    }

    /** Without {@code general.file_type} when {@code fileType} is false (ik then guesses it). */
    static Path write(String kind, Path out, boolean fileType) {
        int layers = 8, heads = 8, kv = kind.equals("gqa4") ? 2 : 8, experts = kind.equals("moe4") ? 4 : 0;
        long n = 256, kvDim = n / heads * kv;
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("llama"));
        md.put("general.name", GgufValue.ofString("synthetic-" + kind));
        md.put("llama.context_length", GgufValue.ofU32(2048));
        md.put("llama.embedding_length", GgufValue.ofU32((int) n));
        md.put("llama.block_count", GgufValue.ofU32(layers));
        md.put("llama.feed_forward_length", GgufValue.ofU32((int) n));
        md.put("llama.attention.head_count", GgufValue.ofU32(heads));
        md.put("llama.attention.head_count_kv", GgufValue.ofU32(kv));
        md.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofF32(1e-5f));
        md.put("llama.rope.dimension_count", GgufValue.ofU32((int) (n / heads)));
        md.put("llama.vocab_size", GgufValue.ofU32(512));
        if (experts > 0) {
            md.put("llama.expert_count", GgufValue.ofU32(experts));
            md.put("llama.expert_used_count", GgufValue.ofU32(2));
        }
        if (fileType) md.put("general.file_type", GgufValue.ofU32(32));
        List<GgufLayout.Entry> e = new ArrayList<>();
        e.add(new GgufLayout.Entry("token_embd.weight", GgmlType.BF16, new long[]{n, 512}));
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            e.add(new GgufLayout.Entry(p + "attn_norm.weight", GgmlType.F32, new long[]{n}));
            if (kind.equals("qkv")) {
                e.add(new GgufLayout.Entry(p + "attn_qkv.weight", GgmlType.BF16, new long[]{n, n + 2 * kvDim}));
            } else {
                e.add(new GgufLayout.Entry(p + "attn_q.weight", GgmlType.BF16, new long[]{n, n}));
                e.add(new GgufLayout.Entry(p + "attn_k.weight", GgmlType.BF16, new long[]{n, kvDim}));
                e.add(new GgufLayout.Entry(p + "attn_v.weight", GgmlType.BF16, new long[]{n, kvDim}));
            }
            e.add(new GgufLayout.Entry(p + "attn_output.weight", GgmlType.BF16, new long[]{n, n}));
            e.add(new GgufLayout.Entry(p + "ffn_norm.weight", GgmlType.F32, new long[]{n}));
            if (experts > 0) {
                e.add(new GgufLayout.Entry(p + "ffn_gate_inp.weight", GgmlType.F32, new long[]{n, experts}));
                for (String t : List.of("ffn_gate_exps", "ffn_down_exps", "ffn_up_exps")) {
                    e.add(new GgufLayout.Entry(p + t + ".weight", GgmlType.BF16, new long[]{n, n, experts}));
                }
            } else {
                for (String t : List.of("ffn_gate", "ffn_down", "ffn_up")) e.add(new GgufLayout.Entry(p + t + ".weight", GgmlType.BF16, new long[]{n, n}));
            }
        }
        e.add(new GgufLayout.Entry("output_norm.weight", GgmlType.F32, new long[]{n}));
        e.add(new GgufLayout.Entry("output.weight", GgmlType.BF16, new long[]{n, 512}));
        try (GgufOutput o = GgufOutput.create(out, new GgufLayout(md, e))) {
            for (int i = 0; i < e.size(); i++) o.write(i, MemorySegment.ofArray(new byte[Math.toIntExact(e.get(i).byteSize())]));
            o.commit();
        }
        return out;
    }

    public static void main(String[] args) {
        System.out.println(write(args[0], Path.of(args[1]), args.length < 3 || !args[2].equals("no-file-type")));
    }
}
