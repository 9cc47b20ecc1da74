package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.tensor.gguf.GgufLayout;
import kiln.validate.compat.Compatibility;
import kiln.validate.compat.RuntimeVerdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 1025 / 1086 / 1147 arithmetic of ik-llama-formats.md §1.7 for DeepSeek-R1's hyper-parameters. */
class DeepseekR1InventoryTest {

    private static SyntheticDeepseek r1(SyntheticDeepseek.Layout layout) {
        SyntheticDeepseek s = new SyntheticDeepseek();
        s.layout = layout;
        return s;
    }

    @Test
    void ikLayoutHas1147AndMainlineExpects1025() {
        ModelView m = r1(SyntheticDeepseek.Layout.IK).view();
        assertEquals(1147, m.tensors().size());
        RuntimeVerdict ml = Compatibility.mainline(m);
        assertEquals(false, ml.loads());
        assertEquals(1025L, ml.expectedTensors());
        assertTrue(ml.reason().contains("wrong number of tensors; expected 1147, got 1025"), ml.reason());
        assertTrue(ml.reason().contains("122 extra: attn_k_b, attn_v_b in 61 layers"), ml.reason());
        assertTrue(ml.reason().contains("legacy MLA layout"), ml.reason());
        RuntimeVerdict ik = Compatibility.ik(m);
        assertEquals(true, ik.loads(), ik.reason());
        assertEquals(1147L, ik.expectedTensors());
        RuntimeVerdict kiln = Compatibility.kiln(m);
        assertEquals(true, kiln.loads(), kiln.reason());
        assertEquals(1147L, kiln.expectedTensors());
    }

    @Test
    void mainlineLayoutHas1086AndBothLoadIt() {
        SyntheticDeepseek s = r1(SyntheticDeepseek.Layout.MAINLINE);
        s.groups = 8;
        s.groupsUsed = 4;
        ModelView m = s.view();
        assertEquals(1086, m.tensors().size());
        RuntimeVerdict ml = Compatibility.mainline(m);
        assertEquals(true, ml.loads(), ml.reason());
        assertEquals(1086L, ml.expectedTensors());
        assertTrue(ml.warnings().isEmpty());
        RuntimeVerdict ik = Compatibility.ik(m);
        assertEquals(true, ik.loads(), ik.reason());
        assertEquals(1086L, ik.expectedTensors());
        assertTrue(ik.reason().contains("Adjusted mainline llama.cpp MLA tensors to ik_llama.cpp"), ik.reason());
        assertEquals(1, ik.warnings().size());
        assertTrue(ik.warnings().getFirst().contains("ignores the expert groups"), ik.warnings().getFirst());
        assertEquals(true, Compatibility.kiln(m).loads());
    }

    @Test
    void legacyLayoutHas1025AndEveryoneLoadsIt() {
        ModelView m = r1(SyntheticDeepseek.Layout.LEGACY).view();
        assertEquals(1025, m.tensors().size());
        for (RuntimeVerdict v : Compatibility.judge(m)) {
            assertEquals(true, v.loads(), v.line());
            assertEquals(1025L, v.expectedTensors(), v.line());
        }
    }

    @Test
    void qLoraLessModelOfAnotherDepthLoadsOnlyInKiln() {
        SyntheticDeepseek s = r1(SyntheticDeepseek.Layout.IK);
        s.withQLora = false;
        ModelView m = s.view();
        RuntimeVerdict ml = Compatibility.mainline(m);
        assertEquals(false, ml.loads());
        assertTrue(ml.reason().contains("key not found in model: deepseek2.attention.q_lora_rank"), ml.reason());
        assertTrue(ml.reason().contains("--override-kv deepseek2.attention.q_lora_rank=int:0"), ml.reason());
        RuntimeVerdict ik = Compatibility.ik(m);
        assertEquals(false, ik.loads());
        assertTrue(ik.reason().contains("key not found in model: deepseek2.attention.q_lora_rank"), ik.reason());
        RuntimeVerdict kiln = Compatibility.kiln(m);
        assertEquals(true, kiln.loads(), kiln.reason());
        assertEquals(1147L - 2 * 61, kiln.expectedTensors()); // attn_q instead of attn_q_a_norm, attn_q_a, attn_q_b
    }

    @Test
    void qLoraLessModelOf27LayersLoadsEverywhere() {
        for (SyntheticDeepseek.Layout layout : new SyntheticDeepseek.Layout[]{SyntheticDeepseek.Layout.LEGACY, SyntheticDeepseek.Layout.MAINLINE}) {
            ModelView m = v2Lite(layout).view();
            for (RuntimeVerdict v : Compatibility.judge(m)) assertEquals(true, v.loads(), layout + " " + v.line());
        }
        // the ik layout of the same model: mainline reads it as legacy and finds 54 tensors too many
        RuntimeVerdict ml = Compatibility.mainline(v2Lite(SyntheticDeepseek.Layout.IK).view());
        assertTrue(ml.reason().contains("54 extra: attn_k_b, attn_v_b in 27 layers"), ml.reason());
    }

    /** DeepSeek-V2-Lite's shape: 27 layers, no q_lora. */
    private static SyntheticDeepseek v2Lite(SyntheticDeepseek.Layout layout) {
        SyntheticDeepseek s = r1(layout);
        s.withQLora = false;
        s.layers = 27;
        s.dense = 1;
        s.experts = 64;
        s.used = 6;
        s.shared = 2;
        s.heads = 16;
        s.embd = 2048;
        s.ffExp = 1408;
        s.ff = 10944;
        s.vocab = 102400;
        return s;
    }

    @Test
    void qLoraModelOf27LayersLoadsOnlyInKiln() {
        SyntheticDeepseek s = r1(SyntheticDeepseek.Layout.IK);
        s.layers = 27;
        ModelView m = s.view();
        assertTrue(Compatibility.mainline(m).reason().contains("missing tensor 'blk.0.attn_q.weight'"), Compatibility.mainline(m).reason());
        assertTrue(Compatibility.ik(m).reason().contains("missing tensor 'blk.0.attn_q.weight'"), Compatibility.ik(m).reason());
        assertEquals(true, Compatibility.kiln(m).loads());
    }

    /** A hostile layer count is refused at once instead of replaying billions of layers. */
    @Test
    void absurdLayerCountIsRefusedQuickly() {
        ModelView r1 = r1(SyntheticDeepseek.Layout.IK).view();
        var md = r1.metadata().copy();
        md.put("deepseek2.block_count", kiln.tensor.gguf.GgufValue.ofU32(-1));
        for (RuntimeVerdict v : Compatibility.judge(new ModelView("hostile", md, r1.tensors()))) {
            assertEquals(false, v.loads(), v.line());
            assertTrue(v.reason().contains("deepseek2.block_count is 4294967295, more than LLAMA_MAX_LAYERS (512)"), v.line());
        }
    }

    /** End to end: a header-only file (sparse: the data section is a hole) through {@code kiln validate --json}. */
    @Test
    void sparseR1FileThroughTheCommand(@TempDir Path dir) throws IOException {
        GgufLayout layout = r1(SyntheticDeepseek.Layout.IK).build();
        Path file = dir.resolve("r1-ik-header-only.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(layout.headerBytes());
            raf.setLength(layout.fileSize()); // a hole: no data blocks are allocated on ext4, xfs, btrfs, tmpfs
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no sparse files here: " + e.getMessage());
        }
        Cli.Result r = Cli.validate("--json", file.toString());
        assertEquals(0, r.exit(), r.all());
        JsonNode j = FixtureFiles.MAPPER.readTree(r.out());
        assertTrue(j.get("valid").booleanValue());
        assertEquals(1147, j.get("tensor_count").intValue());
        assertEquals("ik", j.get("layout").asText());
        JsonNode rt = j.get("runtimes");
        assertFalse(rt.get("llama.cpp").get("loads").booleanValue());
        assertEquals(1025, rt.get("llama.cpp").get("expected_tensors").intValue());
        assertTrue(rt.get("llama.cpp").get("reason").asText().contains("122 extra: attn_k_b, attn_v_b in 61 layers"));
        assertTrue(rt.get("ik_llama.cpp").get("loads").booleanValue());
        assertEquals(1147, rt.get("ik_llama.cpp").get("expected_tensors").intValue());
        assertEquals(1147, rt.get("kiln").get("expected_tensors").intValue());
    }
}
