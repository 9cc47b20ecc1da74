package kiln.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.convert.testing.SafetensorsWriter;
import kiln.convert.testing.TestModels;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Converts a generated Llama checkpoint of ~200 MB (sharded, bf16) in a forked JVM whose heap is 48 MB: the converter
 * must stream, and its output must hold the checkpoint's values.
 */
class BoundedMemoryTest {
    static final long HIDDEN = 1024, FF = 4096, LAYERS = 6, HEADS = 8, KV = 4, VOCAB = 1024;

    @TempDir
    Path tmp;

    /** Deterministic bf16 value bytes for a tensor, written in 64 KiB pieces. */
    static SafetensorsWriter.T tensor(String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        long count = n;
        int seed = name.hashCode();
        return new SafetensorsWriter.T(name, "BF16", shape, 2 * n, out -> writeValues(out, count, seed));
    }

    static short valueAt(long i, int seed) {
        // bf16 of small finite numbers: exponent 120..127, varied mantissa and sign
        long h = (i * 0x9E3779B97F4A7C15L) ^ seed;
        int mant = (int) (h >>> 20) & 0x7F;
        int exp = 120 + (int) ((h >>> 40) & 7);
        int sign = (int) (h >>> 63);
        return (short) ((sign << 15) | (exp << 7) | mant);
    }

    static void writeValues(OutputStream out, long n, int seed) throws IOException {
        byte[] buf = new byte[1 << 16];
        long i = 0;
        while (i < n) {
            int k = (int) Math.min(buf.length / 2, n - i);
            for (int j = 0; j < k; j++) {
                short v = valueAt(i + j, seed);
                buf[2 * j] = (byte) v;
                buf[2 * j + 1] = (byte) (v >> 8);
            }
            out.write(buf, 0, 2 * k);
            i += k;
        }
    }

    @Test
    void convertsAModelBiggerThanTheHeap() throws Exception {
        Path model = bigModel();
        Path out = tmp.resolve("big.gguf");
        runIn48MbHeap(model, out, "--outtype", "bf16");
        long hd = HIDDEN / HEADS;

        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3 + 9 * LAYERS, f.tensors().size());
            // bf16 → bf16 is exact: an unpermuted tensor holds exactly the generated values.
            TensorInfo up = f.tensor("blk.5.ffn_up.weight");
            var data = f.data(up);
            int seed = "model.layers.5.mlp.up_proj.weight".hashCode();
            for (long i = 0; i < up.elementCount(); i += 9973) {
                assertEquals(valueAt(i, seed), data.get(kiln.tensor.LittleEndian.SHORT, 2 * i), "element " + i);
            }
            // attn_q is permuted within each head: row o of head g comes from row g*hd + (o%2)*hd/2 + o/2.
            TensorInfo q = f.tensor("blk.0.attn_q.weight");
            var qd = f.data(q);
            int qs = "model.layers.0.self_attn.q_proj.weight".hashCode();
            for (long o = 0; o < HEADS * hd; o += 37) {
                long g = o / hd, i = o % hd, src = g * hd + (i % 2) * (hd / 2) + i / 2;
                assertEquals(valueAt(src * HIDDEN + 5, qs), qd.get(kiln.tensor.LittleEndian.SHORT, 2 * (o * HIDDEN + 5)), "q row " + o);
            }
        }
    }

    private Path bigModel() throws Exception {
        Fixtures.require();
        Path model = tmp.resolve("big-llama");
        TestModels.copySmallFiles(model);
        TestModels.editConfig(model, c -> {
            c.put("hidden_size", HIDDEN).put("intermediate_size", FF).put("num_hidden_layers", LAYERS)
                    .put("num_attention_heads", HEADS).put("num_key_value_heads", KV).put("head_dim", HIDDEN / HEADS);
        });
        long hd = HIDDEN / HEADS;
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode wm = index.putObject("weight_map");
        long total = 0;
        for (int shard = 0; shard < 2; shard++) {
            SafetensorsWriter w = new SafetensorsWriter();
            List<SafetensorsWriter.T> ts = new ArrayList<>();
            if (shard == 0) {
                ts.add(tensor("model.embed_tokens.weight", VOCAB, HIDDEN));
                ts.add(tensor("model.norm.weight", HIDDEN));
            } else {
                ts.add(tensor("lm_head.weight", VOCAB, HIDDEN));
            }
            for (long l = shard * LAYERS / 2; l < (shard + 1) * LAYERS / 2; l++) {
                String b = "model.layers." + l + ".";
                ts.add(tensor(b + "input_layernorm.weight", HIDDEN));
                ts.add(tensor(b + "post_attention_layernorm.weight", HIDDEN));
                ts.add(tensor(b + "self_attn.q_proj.weight", HEADS * hd, HIDDEN));
                ts.add(tensor(b + "self_attn.k_proj.weight", KV * hd, HIDDEN));
                ts.add(tensor(b + "self_attn.v_proj.weight", KV * hd, HIDDEN));
                ts.add(tensor(b + "self_attn.o_proj.weight", HIDDEN, HEADS * hd));
                ts.add(tensor(b + "mlp.gate_proj.weight", FF, HIDDEN));
                ts.add(tensor(b + "mlp.up_proj.weight", FF, HIDDEN));
                ts.add(tensor(b + "mlp.down_proj.weight", HIDDEN, FF));
            }
            String file = "model-0000" + (shard + 1) + "-of-00002.safetensors";
            for (SafetensorsWriter.T t : ts) {
                w.add(t);
                wm.put(t.name(), file);
                total += t.byteLength();
            }
            w.write(model.resolve(file));
        }
        new ObjectMapper().writeValue(model.resolve("model.safetensors.index.json").toFile(), index);
        assertTrue(total > 3 * 48L * 1024 * 1024, "checkpoint (" + total + " bytes) is several times the 48 MB heap");
        return model;
    }

    private static void runIn48MbHeap(Path model, Path out, String... opts) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx48m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "kiln.convert.cli.ConvertMain",
                model.toString(), "-o", out.toString(), "--threads", "2", "--no-progress"));
        cmd.addAll(List.of(opts));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "finished");
        assertEquals(0, p.exitValue(), log);
    }

    /**
     * One-pass Q4_K_M of the same checkpoint in the same 48 MB heap; rows of an unpermuted tensor are the codec's
     * bytes for the generated values (bf16 → f32 is exact, so the bf16 round trip changes nothing).
     */
    @Test
    void quantizesInOnePassInTheSameHeap() throws Exception {
        Path model = bigModel();
        Path out = tmp.resolve("big-q4km.gguf");
        runIn48MbHeap(model, out, "--outtype", "Q4_K_M");
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3 + 9 * LAYERS, f.tensors().size());
            assertEquals(15L, f.metadata().get("general.file_type").asLong());
            TensorInfo up = f.tensor("blk.5.ffn_up.weight");
            assertEquals(kiln.tensor.GgmlType.Q4_K, up.type());
            var codec = kiln.tensor.codec.Codecs.require(up.type(), kiln.tensor.codec.Flavor.MAINLINE);
            int seed = "model.layers.5.mlp.up_proj.weight".hashCode();
            long rowBytes = up.rowSize();
            float[] row = new float[(int) HIDDEN];
            for (long r = 0; r < up.rowCount(); r += 397) {
                for (int j = 0; j < HIDDEN; j++) row[j] = Float.intBitsToFloat((valueAt(r * HIDDEN + j, seed) & 0xFFFF) << 16);
                var expect = java.lang.foreign.MemorySegment.ofArray(new byte[(int) rowBytes]);
                codec.quantize(row, 0, expect, 0, (int) HIDDEN, null);
                assertEquals(-1, expect.mismatch(f.data(up).asSlice(r * rowBytes, rowBytes)), "row " + r);
            }
        }
    }
}
