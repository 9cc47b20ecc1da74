package kiln.runtime.model;

import kiln.runtime.kernel.Weight;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

/** -mla 0..3 agree with each other on both layouts (f32 numerics), and derived MLA tensors equal the converters' own. */
class MlaModesTest {
    static final double MODE_TOLERANCE = 2e-3;

    static float[] logits(String gguf, int mla, String cache) {
        Fixtures.require();
        ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(2).withMla(mla).withCache(cache, cache).withNumerics("f32");
        try (Model m = ModelLoader.load(Fixtures.file(gguf), opt)) {
            int[] ids = m.tokenizer().encode(Reference.text("tiny-deepseek/text/prompt.txt"), true);
            return Greedy.promptLogits(m, ids);
        }
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void allModesAgreeOnBothLayouts() {
        for (String f : new String[] {"tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"}) {
            float[] base = logits(f, 3, "f16");
            for (int mla = 0; mla <= 2; mla++) {
                double d = maxAbs(base, logits(f, mla, "f16"));
                System.out.printf("%s: -mla %d vs -mla 3 max |dlogit| %.6f%n", f, mla, d);
                assertTrue(d < MODE_TOLERANCE, "-mla " + mla + ": " + d);
            }
        }
    }

    @Test
    void decompressedPromptsAgreeWithTheLatentForm() {
        Fixtures.require();
        String f = "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";
        float[] latent = logits(f, 3, "f16");
        ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(2).withMla(3).withCache("f16", "f16").withNumerics("f32");
        try (DeepseekModel m = (DeepseekModel) ModelLoader.load(Fixtures.file(f), opt)) {
            m.forceDecompression = true;
            int[] ids = m.tokenizer().encode(Reference.text("tiny-deepseek/text/prompt.txt"), true);
            double d = maxAbs(latent, Greedy.promptLogits(m, ids));
            System.out.printf("%s: prompt with K/V decompressed vs latent max |dlogit| %.6f%n", f, d);
            assertTrue(m.decompressedBatches > 0, "the decompressed path ran");
            assertTrue(d < MODE_TOLERANCE, "decompressed: " + d);
        }
    }

    @Test
    void q8CacheAgreesWithF16Cache() {
        for (String f : new String[] {"tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-llama/mainline/tiny-llama-bf16.gguf"}) {
            for (int mla : new int[] {0, 3}) {
                double d = Reference.maxLogprobDiff(logits(f, mla, "f16"), logits(f, mla, "q8_0"));
                System.out.printf("%s -mla %d: q8_0 vs f16 cache max |dlogprob| %.5f%n", f, mla, d);
                assertTrue(d < 0.05, "q8_0 cache: " + d);
                assertTrue(d > 0, "q8_0 cache must actually quantize");
            }
        }
    }

    @Test
    void derivedTensorsEqualTheConvertersOwn() {
        Fixtures.require();
        try (GgufFile ik = GgufFile.open(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"));
             GgufFile ml = GgufFile.open(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"));
             Arena arena = Arena.ofConfined()) {
            WeightSource is = new WeightSource(ik), ms = new WeightSource(ml);
            int h = 4, nope = 64, dv = 64, kvl = 256;
            for (int l = 0; l < 3; l++) {
                String b = "blk." + l + ".";
                Weight kvb = is.require(b + "attn_kv_b.weight", kvl, h * (nope + dv));
                Weight kb = MlaDerivation.kbFromKvb(kvb, h, nope, dv, kvl, arena, "k_b");
                Weight vb = MlaDerivation.vbFromKvb(kvb, h, nope, dv, kvl, arena, "v_b");
                assertBytesEqual(ik.data(b + "attn_k_b.weight"), kb.data(), b + "attn_k_b");
                assertBytesEqual(ik.data(b + "attn_v_b.weight"), vb.data(), b + "attn_v_b");
                Weight mkb = ms.require(b + "attn_k_b.weight", nope, kvl, h);
                Weight mvb = ms.require(b + "attn_v_b.weight", kvl, dv, h);
                Weight kvb2 = MlaDerivation.kvbFromKbVb(mkb, mvb, h, nope, dv, kvl, arena, "kv_b");
                assertBytesEqual(ik.data(b + "attn_kv_b.weight"), kvb2.data(), b + "attn_kv_b");
            }
        }
    }

    static void assertBytesEqual(MemorySegment want, MemorySegment got, String what) {
        assertEquals(want.byteSize(), got.byteSize(), what + " size");
        assertEquals(-1L, want.mismatch(got), what + " bytes");
    }
}
