package kiln.validate;

import kiln.runtime.eval.FiniteLogits;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded mutation fuzzing of the runtime's loader, as {@code kiln run} uses it: each mutant of a fixture's header (the
 * mutations of {@link GgufFuzzTest}) is loaded and evaluates one token, or is refused with a one-line
 * {@link KilnException} — no other exception, no hang, no out-of-memory.
 *
 * <p>Runs {@code kiln.fuzz.loader.seconds} seconds (default 15) from seed {@code kiln.fuzz.seed} (default 1234). A failure
 * prints the seed and iteration and keeps the mutant as {@code target/fuzz-failure.gguf}.
 */
class LoaderFuzzTest {
    @TempDir
    Path dir;

    @Test
    void mutatedModelsLoadAndRunOrAreRefusedInOneLine() throws IOException {
        long seconds = Long.getLong("kiln.fuzz.loader.seconds", 15);
        long seed = Long.getLong("kiln.fuzz.seed", 1234);
        List<GgufFuzzTest.Source> sources = GgufFuzzTest.sources();
        assertFalse(sources.isEmpty());
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(seconds + 300), () -> {
            Random rnd = new Random(seed);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            Path f = dir.resolve("mutant.gguf");
            for (long it = 0; System.nanoTime() < end; it++) {
                GgufFuzzTest.Source s = sources.get(rnd.nextInt(sources.size()));
                GgufFuzzTest.write(f, GgufFuzzTest.mutate(s, rnd), s.headerEnd(), true);
                try {
                    loadAndRunOneToken(f);
                    counts[0]++;
                } catch (KilnException e) {
                    counts[1]++;
                    String msg = e.getMessage();
                    if (msg == null || msg.isBlank() || msg.contains("\n")) GgufFuzzTest.failWith(f, seed, it, s, "bad message: " + msg, e);
                } catch (Throwable t) {
                    GgufFuzzTest.failWith(f, seed, it, s, t.toString(), t);
                }
            }
        });
        System.out.printf("loader fuzz: %d mutants ran a token, %d refused in one line (seed %d, %d s)%n", counts[0], counts[1], seed, seconds);
        assertTrue(counts[0] > 0 && counts[1] > 0, "both outcomes should occur: " + java.util.Arrays.toString(counts));
    }

    private static void loadAndRunOneToken(Path f) {
        try (Model m = ModelLoader.load(f, ModelOptions.defaults().withCtx(8).withThreads(1))) {
            float[] logits = new float[m.nVocab()];
            FiniteLogits.evaluate(m, new int[] {m.tokenizer().bos()}, 0, 1, 0, logits, false);
        }
    }
}
