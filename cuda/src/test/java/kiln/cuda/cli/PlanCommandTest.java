package kiln.cuda.cli;

import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** `kiln plan` as a user sees it: the plan on stdout, exit 0 when it fits; one line on stderr and exit 2 when not. */
class PlanCommandTest {
    record Outcome(int code, String out, String err) {}

    static synchronized Outcome plan(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = CliSupport.run(new PlanCommand(), args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void theDeepseekR1HybridPlanPrintsBufferSizesAndFits() {
        Outcome o = plan("--synthetic", "deepseek-r1", "-ngl", "999", "-ot", "\\.ffn_.*_exps\\.=CPU", "-c", "32768", "--gpu-memory", "24GiB");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("plan: offloaded 62/62 layers to GPU (CUDA0: layers 0-60 + output)"), o.out());
        assertTrue(o.out().contains("plan: -ot \\.ffn_.*_exps\\.=CPU: 174 tensors"), o.out());
        assertTrue(o.out().contains("plan:      CUDA0 KV buffer size =    2196.00 MiB"), o.out()); // 61 × 32768 × 576 × 2 bytes
        assertTrue(o.out().contains("plan: KV self size = 2196.00 MiB, c^KV (f16): 2196.00 MiB, kv^T: not used"), o.out());
        assertTrue(o.out().contains("CUDA0 needs ") && o.out().contains(": fits"), o.out());
    }

    @Test
    void aPlanThatDoesNotFitIsOneLineAndExit2() {
        Outcome o = plan("--synthetic", "deepseek-r1", "-ngl", "999", "--gpu-memory", "24GiB,24GiB");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().startsWith("kiln plan: the plan does not fit: CUDA0 needs "), o.err());
        assertTrue(o.err().contains("-ot \"\\.ffn_.*_exps\\.=CPU\""), o.err());
        assertTrue(o.out().contains("DOES NOT FIT"), "the plan is still shown");
    }

    @Test
    void aFixtureFile() {
        String m = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString();
        Outcome o = plan("-m", m, "-ngl", "3", "--gpu-memory", "1GiB,1GiB", "-c", "4096");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("plan: offloaded 3/5 layers to GPU (CUDA0: layers 1-2, CUDA1: layers 3)"), o.out());
        o = plan("-m", m, "-ngl", "99", "-ot", "ffn_up=CPU", "--gpu-memory", "1GiB", "--tensors");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("tensor blk.2.ffn_up.weight") && l.endsWith("-> CPU   (-ot ffn_up=CPU)")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("tensor blk.2.ffn_down.weight") && l.endsWith("-> CUDA0 (layer 2)")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("tensor token_embd.weight") && l.endsWith("-> CPU   (token embeddings stay on the CPU)")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("tensor output.weight") && l.endsWith("-> CUDA0 (output layer)")), o.out());
    }

    @Test
    void badInputIsOneLineAndExit2() {
        for (String[] args : new String[][] {
                {"--synthetic", "deepseek-r1", "--gpu-memory", "lots"},
                {"--synthetic", "gpt-5"},
                {"--gpu-memory", "24GiB"},
                {"-m", "/no/such.gguf", "--gpu-memory", "24GiB"},
                {"--synthetic", "deepseek-r1", "--gpu-memory", "24GiB", "-ot", "exps=CUDA1"},
                {"--synthetic", "deepseek-r1", "--gpu-memory", "24GiB", "-ctk", "q4_0"},
                {"--synthetic", "deepseek-r1", "--gpu-memory", "24GiB", "-ngl", "1,2"}}) {
            Outcome o = plan(args);
            assertEquals(2, o.code(), String.join(" ", args) + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertFalse(o.err().contains("internal error") || o.err().contains("Exception"), o.err());
        }
    }
}
