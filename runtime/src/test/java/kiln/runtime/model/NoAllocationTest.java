package kiln.runtime.model;

import kiln.runtime.kernel.ScalarKernels;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Evaluating a token allocates nothing on the heap (one thread, scalar kernels, bf16 weights, f16/q8_0 caches).
 * The JVM itself occasionally attributes a few hundred bytes to the thread (JIT transitions; JFR allocation
 * sampling shows no Kiln frame), so the bound is 64 bytes per token on average: any real per-token buffer (a
 * logits or activation array) is kilobytes.
 */
class NoAllocationTest {

    static long allocatedBytesPerToken(String gguf, int mla, String cache) {
        Fixtures.require();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ModelOptions opt = ModelOptions.defaults().withCtx(128).withThreads(1).withMla(mla).withCache(cache, cache);
        try (Model m = ModelLoader.load(Fixtures.file(gguf), opt, new ScalarKernels())) {
            float[] logits = new float[m.nVocab()];
            int[] one = {42};
            for (int p = 0; p < 40; p++) m.evaluate(one, 0, 1, p, logits, false);   // warm up (class init, JIT)
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int p = 40; p < 120; p++) m.evaluate(one, 0, 1, p, logits, false);
            long after = mx.getThreadAllocatedBytes(tid);
            System.out.printf("%s -mla %d cache %s: %d bytes allocated over 80 tokens%n", gguf, mla, cache, after - before);
            return (after - before) / 80;
        }
    }

    @Test
    void tokensAllocateNothing() {
        assertTrue(allocatedBytesPerToken("tiny-llama/mainline/tiny-llama-bf16.gguf", 0, "f16") < 64);
        assertTrue(allocatedBytesPerToken("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", 3, "f16") < 64);
        assertTrue(allocatedBytesPerToken("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", 0, "q8_0") < 64);
    }
}
