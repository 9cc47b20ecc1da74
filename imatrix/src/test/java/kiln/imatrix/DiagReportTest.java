package kiln.imatrix;

import kiln.tensor.imatrix.*;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import java.nio.file.Path;

class DiagReportTest {
    static void report(Imatrix ref, Imatrix k) {
        for (String name : new java.util.TreeSet<>(ref.entries().keySet())) {
            ImatrixEntry r = ref.get(name), e = k.get(name);
            float[] a = ImatrixWeights.of(ref, r), b = ImatrixWeights.of(k, e);
            double max = 0, sum = 0; int wi = 0; int over = 0;
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-30);
                if (d > max) { max = d; wi = i; }
                if (d > 1e-3) over++;
                sum += d;
            }
            System.out.printf("%-32s n=%5d max=%.3e at %d (ref %.4e kiln %.4e) mean=%.2e over=%d counts=%s%n", name, a.length, max, wi, a[wi], b[wi], sum / a.length, over,
                r.counts().length > 8 ? java.util.Arrays.toString(java.util.Arrays.copyOf(r.counts(), 8)) : java.util.Arrays.toString(r.counts()));
        }
    }
    @Test void mainlineDs() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "gguf", "auto", 3);
        report(ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf")), ImatrixFiles.read(kiln));
    }
    @Test void mainlineLlama() throws Exception {
        Path kiln = Collected.of("tiny-llama/mainline/tiny-llama-bf16.gguf", "gguf", "auto", 3);
        report(ImatrixFiles.read(Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf")), ImatrixFiles.read(kiln));
    }
    @Test void ikDs() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "dat", "auto", 3);
        report(ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix")), ImatrixFiles.read(kiln));
    }
}
