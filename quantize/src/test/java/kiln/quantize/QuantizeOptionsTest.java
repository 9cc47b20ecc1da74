package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValueType;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The options that change the choice of types, and the ones that must not change the bytes. */
class QuantizeOptionsTest {
    @TempDir
    Path tmp;

    private static Map<String, GgmlType> types(String model, Flavor fl, String type, boolean pure, GgmlType out, GgmlType embd,
                                               List<TensorTypeRule> rules, boolean leaveOutput) {
        try (GgufFile in = GgufFile.open(Fixtures.file(model))) {
            QuantizeOptions o = new QuantizeOptions(fl, Ftype.parse(type, fl), pure, out, embd, rules, leaveOutput, false, 1);
            QuantizePlan p = QuantizePlan.build(in.metadata(), in.tensors(), o, null, false);
            Map<String, GgmlType> m = new LinkedHashMap<>();
            for (QuantizePlan.Item it : p.items()) m.put(it.input().name(), it.target());
            return m;
        }
    }

    private static final String LLAMA = "tiny-llama/mainline/tiny-llama-bf16.gguf";
    private static final String DS_IK = "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";

    @Test
    void mixesDifferBetweenTheTools() {
        // a 16-layer Llama with 4-way GQA (synthetic tensor list): mainline 97 Q4_K + 17 Q6_K, ik 89 Q4_K + 8 Q5_K + 17 Q6_K
        kiln.tensor.gguf.GgufMetadata md = new kiln.tensor.gguf.GgufMetadata();
        md.put("general.architecture", kiln.tensor.gguf.GgufValue.ofString("llama"));
        md.put("llama.block_count", kiln.tensor.gguf.GgufValue.ofU32(16));
        md.put("llama.attention.head_count", kiln.tensor.gguf.GgufValue.ofU32(32));
        md.put("llama.attention.head_count_kv", kiln.tensor.gguf.GgufValue.ofU32(8));
        md.put("llama.vocab_size", kiln.tensor.gguf.GgufValue.ofU32(1024));
        List<kiln.tensor.gguf.TensorInfo> ts = new java.util.ArrayList<>();
        ts.add(new kiln.tensor.gguf.TensorInfo("token_embd.weight", GgmlType.BF16, new long[]{256, 1024}, 0, 0));
        ts.add(new kiln.tensor.gguf.TensorInfo("output.weight", GgmlType.BF16, new long[]{256, 1024}, 0, 0));
        for (int i = 0; i < 16; i++) {
            for (String n : List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")) {
                ts.add(new kiln.tensor.gguf.TensorInfo("blk." + i + "." + n + ".weight", GgmlType.BF16, new long[]{256, 256}, 0, 0));
            }
            ts.add(new kiln.tensor.gguf.TensorInfo("blk." + i + ".attn_norm.weight", GgmlType.F32, new long[]{256}, 0, 0));
        }
        Map<String, Integer> ml = new LinkedHashMap<>(), ik = new LinkedHashMap<>();
        for (Flavor fl : Flavor.values()) {
            QuantizePlan p = QuantizePlan.build(md, ts, QuantizeOptions.of(fl, Ftype.parse("Q4_K_M", fl)), null, false);
            for (QuantizePlan.Item it : p.items()) (fl == Flavor.IK ? ik : ml).merge(it.target().name(), 1, Integer::sum);
        }
        assertEquals(Map.of("Q4_K", 97, "Q6_K", 17, "F32", 16), ml);
        assertEquals(Map.of("Q4_K", 89, "Q5_K", 8, "Q6_K", 17, "F32", 16), ik);
        Map<String, GgmlType> ds = types(DS_IK, Flavor.IK, "Q4_K_M", false, null, null, List.of(), false);
        for (String n : List.of("blk.0.attn_kv_a_mqa.weight", "blk.1.attn_k_b.weight", "blk.2.attn_kv_b.weight")) {
            assertEquals(GgmlType.Q8_0, ds.get(n), n + " stays Q8_0 in ik's DeepSeek mixes");
        }
    }

    @Test
    void pureGivesTheDefaultTypeEverywhereExceptFallbacks() {
        Map<String, GgmlType> m = types(LLAMA, Flavor.MAINLINE, "Q4_K_M", true, null, null, List.of(), false);
        assertEquals(GgmlType.Q4_K, m.get("output.weight"));
        assertEquals(GgmlType.Q4_K, m.get("blk.0.ffn_down.weight"));
        assertEquals(GgmlType.F32, m.get("blk.0.attn_norm.weight"));
        Map<String, GgmlType> ds = types("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", Flavor.MAINLINE, "Q4_K_M", true, null, null, List.of(), false);
        assertEquals(GgmlType.Q5_0, ds.get("blk.0.attn_k_b.weight"), "64 columns: Q4_K falls back to Q5_0");
    }

    @Test
    void explicitOutputAndEmbeddingTypesWin() {
        Map<String, GgmlType> m = types(LLAMA, Flavor.MAINLINE, "Q4_K_M", true, GgmlType.Q8_0, GgmlType.Q5_K, List.of(), false);
        assertEquals(GgmlType.Q8_0, m.get("output.weight"));
        assertEquals(GgmlType.Q5_K, m.get("token_embd.weight"));
        Map<String, GgmlType> ik = types(LLAMA, Flavor.IK, "Q4_K_M", false, GgmlType.Q8_0, GgmlType.Q5_K, List.of(), false);
        assertEquals(GgmlType.Q8_0, ik.get("output.weight"));
        assertEquals(GgmlType.Q5_K, ik.get("token_embd.weight"));
    }

    @Test
    void tensorTypeRules() {
        // mainline lower-cases the pattern and skips the mix for matching tensors
        Map<String, GgmlType> m = types(LLAMA, Flavor.MAINLINE, "Q4_K_M", false, null, null,
                List.of(TensorTypeRule.parse("FFN_DOWN=q8_0", true), TensorTypeRule.parse("attn_v=Q6_K", true)), false);
        for (int i = 0; i < 4; i++) {
            assertEquals(GgmlType.Q8_0, m.get("blk." + i + ".ffn_down.weight"));
            assertEquals(GgmlType.Q6_K, m.get("blk." + i + ".attn_v.weight"));
        }
        assertEquals(GgmlType.Q4_K, m.get("blk.0.ffn_up.weight"));
        // ik's --custom-q list applies after the mix
        Map<String, GgmlType> ik = types(DS_IK, Flavor.IK, "Q4_K_M", false, null, null, TensorTypeRule.parseList("attn_k_b=q4_0,exps=q5_K"), false);
        assertEquals(GgmlType.Q4_0, ik.get("blk.0.attn_k_b.weight"));
        assertEquals(GgmlType.Q5_K, ik.get("blk.1.ffn_down_exps.weight"));
        assertEquals(GgmlType.Q8_0, ik.get("blk.0.attn_kv_b.weight"));
    }

    @Test
    void leaveOutputTensorKeepsIt() {
        Map<String, GgmlType> m = types(LLAMA, Flavor.MAINLINE, "Q4_0", false, null, null, List.of(), true);
        assertEquals(GgmlType.BF16, m.get("output.weight"));
        assertEquals(GgmlType.Q4_0, m.get("token_embd.weight"));
    }

    @Test
    void includeWeightsLimitsTheEntriesAndTheRecordedCount() {
        Path f = Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf");
        ImatrixInput all = ImatrixInput.load(f, "x", List.of(), List.of(), Flavor.MAINLINE);
        ImatrixInput ffn = ImatrixInput.load(f, "x", List.of("ffn_"), List.of(), Flavor.MAINLINE);
        ImatrixInput noFfn = ImatrixInput.load(f, "x", List.of(), List.of("ffn_"), Flavor.MAINLINE);
        assertEquals(all.entries(), ffn.entries() + noFfn.entries());
        assertTrue(ffn.weights().keySet().stream().allMatch(n -> n.contains("ffn_")));
        assertNull(ImatrixInput.load(f, "x", List.of("no-such-tensor"), List.of(), Flavor.MAINLINE), "empty after filtering: no imatrix at all");
        try (GgufFile in = GgufFile.open(Fixtures.file(LLAMA))) {
            QuantizePlan p = QuantizePlan.build(in.metadata(), in.tensors(), QuantizeOptions.of(Flavor.MAINLINE, Ftype.parse("Q4_K_M", Flavor.MAINLINE)), ffn, false);
            assertEquals((long) ffn.entries(), p.metadata().get("quantize.imatrix.entries_count").asLong());
            for (QuantizePlan.Item it : p.items()) {
                if (it.input().name().contains("attn_")) assertNull(it.weights(), it.input().name());
                if (it.input().name().contains("ffn_down")) assertNotNull(it.weights(), it.input().name());
            }
        }
    }

    @Test
    void ikLooksUpFallbackEntries() {
        ImatrixInput im = ImatrixInput.load(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"), "x", List.of(), List.of(), Flavor.IK);
        assertNull(im.weights().get("blk.1.ffn_gate_exps.weight") == null ? null : "present", "ik's fused up/gate records only ffn_up_exps");
        assertNotNull(im.lookup("blk.1.ffn_gate_exps.weight", Flavor.IK));
        assertNull(im.lookup("blk.1.ffn_gate_exps.weight", Flavor.MAINLINE));
    }

    @Test
    void defaultFlavorFollowsTheLayout() {
        try (GgufFile ik = GgufFile.open(Fixtures.file(DS_IK));
             GgufFile ml = GgufFile.open(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"));
             GgufFile ll = GgufFile.open(Fixtures.file(LLAMA))) {
            assertEquals(Flavor.IK, QuantizeCommand.defaultFlavor(ik));
            assertEquals(Flavor.MAINLINE, QuantizeCommand.defaultFlavor(ml));
            assertEquals(Flavor.MAINLINE, QuantizeCommand.defaultFlavor(ll));
        }
    }

    @Test
    void threadCountDoesNotChangeTheBytesAndTypeOnlyNamesTheOutput() throws Exception {
        Path in = tmp.resolve("model.gguf");
        Files.copy(Fixtures.file(LLAMA), in);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        QuantizeCommand a = new QuantizeCommand();
        a.out = quiet;
        assertEquals(0, CliSupport.run(a, in.toString(), tmp.resolve("a.gguf").toString(), "Q4_K_M", "1"));
        QuantizeCommand b = new QuantizeCommand();
        b.out = quiet;
        assertEquals(0, CliSupport.run(b, "-t", "3", in.toString(), "Q4_K_M"));
        Path named = tmp.resolve("ggml-model-Q4_K_M.gguf");
        assertTrue(Files.exists(named));
        assertEquals(-1, Files.mismatch(tmp.resolve("a.gguf"), named));
        try (GgufFile f = GgufFile.open(named)) {
            assertEquals(15, f.metadata().getLong("general.file_type", -1));
            assertEquals(GgufValueType.UINT32, f.metadata().get("general.file_type").type());
        }
    }

    private static Map<String, Integer> count(Map<String, GgmlType> m) {
        Map<String, Integer> c = new LinkedHashMap<>();
        for (GgmlType t : m.values()) c.merge(t.name(), 1, Integer::sum);
        return c;
    }

    private static Map<String, Integer> filter(Map<String, Integer> m, String... keys) {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (String k : keys) if (m.containsKey(k)) r.put(k, m.get(k));
        return r;
    }
}
