package kiln.runtime.cli;

import kiln.runtime.model.GgufEdit;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** NaN weights: `run` and `perplexity` stop with one line naming where values went non-finite, exit 1 — never blank text with exit 0. */
class NonFiniteLogitsTest {
    @TempDir
    Path tmp;

    /** A copy of the bf16 tiny llama whose tensor {@code name} is all bf16 NaN. */
    private Path withNan(String name) {
        return GgufEdit.damage(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("nan.gguf"), (t, data) -> {
            if (!t.name().equals(name)) return;
            for (long i = 0; i < data.byteSize(); i += 2) data.set(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) 0x7FC0);
        });
    }

    private static String failed(Object cmd, String... args) {
        CommandsTest.Outcome o = CommandsTest.call(cmd, args);
        assertEquals(1, o.code(), o.err());
        assertFalse(o.err().contains("internal error") || o.err().contains("\tat "), o.err());
        assertTrue(o.out().isBlank(), o.out());
        java.util.List<String> lines = o.err().strip().lines().toList();
        return lines.getLast(); // after the load lines
    }

    @Test
    void runNamesTheLayerWhoseWeightsAreNan() {
        String m = failed(new RunCommand(), "-m", withNan("blk.1.ffn_down.weight").toString(), "-p", "Hello", "-n", "4");
        assertTrue(m.startsWith("kiln run: the logits at position "), m);
        assertTrue(m.contains("are not finite (NaN or infinity): values first went non-finite in layer 1, after the product with "
                + "blk.1.ffn_down.weight (its input was finite; the input of blk.2."), m);
    }

    @Test
    void perplexityStopsInsteadOfPrintingNan() {
        Path eval = Fixtures.file("tiny-llama/text/eval.txt");
        String m = failed(new PerplexityCommand(), "-m", withNan("blk.2.attn_v.weight").toString(), "-f", eval.toString(), "-c", "32", "--chunks", "1");
        assertTrue(m.contains("values first went non-finite in layer 2, after the product with blk.2.attn_v.weight"), m);
    }

    @Test
    void nanInTheOutputProjectionIsNamed() {
        String m = failed(new RunCommand(), "-m", withNan("output.weight").toString(), "-p", "Hello", "-n", "4");
        assertTrue(m.endsWith("values first went non-finite in the last product (output.weight), after every input was finite"), m);
    }
}
