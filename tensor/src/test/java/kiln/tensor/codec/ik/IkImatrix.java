package kiln.tensor.codec.ik;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Test helper: ik's legacy binary imatrix ({@code .dat}, spec ik-llama-formats.md §4.2) read as ik's
 * llama-quantize prepares it (§4.4): each vector divided by its {@code ncall} when {@code ncall > 0}, and the
 * per-tensor lookup with ik's fallbacks.
 */
public final class IkImatrix {
    private final Map<String, float[]> entries;
    private final int lastCall;
    private final String dataset;

    private IkImatrix(Map<String, float[]> entries, int lastCall, String dataset) {
        this.entries = entries;
        this.lastCall = lastCall;
        this.dataset = dataset;
    }

    public static IkImatrix read(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt();
        Map<String, float[]> entries = new HashMap<>();
        for (int e = 0; e < n; e++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            int ncall = b.getInt();
            float[] v = new float[b.getInt()];
            for (int i = 0; i < v.length; i++) {
                float x = b.getFloat();
                v[i] = ncall > 0 ? x / ncall : x;
            }
            entries.put(new String(name, StandardCharsets.UTF_8), v);
        }
        int lastCall = 0;
        String dataset = "";
        if (b.remaining() >= 4) { // optional trailer: last_call, dataset name
            lastCall = b.getInt();
            if (b.remaining() >= 4) {
                byte[] d = new byte[b.getInt()];
                b.get(d);
                dataset = new String(d, StandardCharsets.UTF_8);
            }
        }
        return new IkImatrix(entries, lastCall, dataset);
    }

    int size() {
        return entries.size();
    }

    /** The trailer's chunk count (quantize.imatrix.chunks_count), 0 when absent. */
    int lastCall() {
        return lastCall;
    }

    /** The trailer's data set name (quantize.imatrix.dataset), empty when absent. */
    String dataset() {
        return dataset;
    }

    /**
     * The vector ik's llama-quantize uses for {@code tensor} (ne0·ne2 floats), or null: exact name first, then
     * ffn_up/gate_exps → ffn_gate_up_exps → ffn_up_exps, ffn_gate_up_exps → ffn_up_exps, ffn_gate → ffn_up,
     * and the MLA swap attn_v_b ↔ attn_kv_b. A vector of the wrong size is an error except for token_embd.
     */
    public float[] lookup(String tensor, long expectedSize) {
        float[] v = entries.get(tensor);
        if (v == null) {
            if (tensor.contains("ffn_up_exps.weight") || tensor.contains("ffn_gate_exps.weight")) {
                int pos = tensor.contains("ffn_up_exps.weight") ? tensor.indexOf("ffn_up_exps.weight")
                        : tensor.indexOf("ffn_gate_exps.weight");
                v = entries.get(tensor.substring(0, pos) + "ffn_gate_up_exps.weight");
                if (v == null) v = entries.get(tensor.substring(0, pos) + "ffn_up_exps.weight");
            } else if (tensor.contains("ffn_gate_up_exps.weight")) {
                v = entries.get(tensor.substring(0, tensor.indexOf("ffn_gate_up_exps.weight")) + "ffn_up_exps.weight");
            } else if (tensor.contains("ffn_gate.weight")) {
                v = entries.get(tensor.substring(0, tensor.indexOf("ffn_gate.weight")) + "ffn_up.weight");
            } else if (tensor.contains(".attn_v_b.weight")) {
                v = entries.get(tensor.replace(".attn_v_b.weight", ".attn_kv_b.weight"));
            } else if (tensor.contains(".attn_kv_b.weight")) {
                v = entries.get(tensor.replace(".attn_kv_b.weight", ".attn_v_b.weight"));
            }
        }
        if (v != null && v.length != expectedSize) {
            if (tensor.equals("token_embd.weight")) return null;
            throw new IllegalStateException("imatrix size " + v.length + " is different from tensor size "
                    + expectedSize + " for " + tensor);
        }
        return v;
    }
}
