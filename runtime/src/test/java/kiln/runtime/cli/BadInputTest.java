package kiln.runtime.cli;

import kiln.cuda.device.CudaDevices;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** User mistakes on `kiln run` / `kiln perplexity`: one line on stderr naming what was wrong, exit 2, never exit 0 with garbage. */
class BadInputTest {
    @TempDir
    Path tmp;

    private static String llama() {
        return Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString();
    }

    private static String refused(Object cmd, String... args) {
        CommandsTest.Outcome o = CommandsTest.call(cmd, args);
        assertEquals(2, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertFalse(o.err().contains("internal error"), o.err());
        return o.err().strip();
    }

    private static String[] with(String[] base, String... more) {
        List<String> a = new ArrayList<>(List.of(base));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void textFilesThatCannotBeReadAreOneLine() throws Exception {
        Path missing = tmp.resolve("missing.txt");
        Path folder = Files.createDirectory(tmp.resolve("folder"));
        Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        for (boolean run : new boolean[] {true, false}) {
            String[] base = run ? new String[] {"-m", llama(), "-n", "1"} : new String[] {"-m", llama(), "-c", "16"};
            Object cmd = run ? new RunCommand() : new PerplexityCommand();
            assertEquals("kiln " + (run ? "run" : "perplexity") + ": " + missing + ": no such text file",
                    refused(cmd, with(base, "-f", missing.toString())));
            cmd = run ? new RunCommand() : new PerplexityCommand();
            assertTrue(refused(cmd, with(base, "-f", folder.toString())).endsWith(folder + ": is a folder; expected a text file"));
            cmd = run ? new RunCommand() : new PerplexityCommand();
            assertTrue(refused(cmd, with(base, "-f", latin1.toString())).endsWith(latin1 + ": is not UTF-8 text (invalid byte at offset 3)"));
        }
    }

    @Test
    void unreadableTextSaysPermissionDenied() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "hello");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(secret), "running as a user who can read anything (root)");
        assertTrue(refused(new RunCommand(), "-m", llama(), "-f", secret.toString()).endsWith(secret + ": cannot read (permission denied)"));
        assertTrue(refused(new PerplexityCommand(), "-m", llama(), "-f", secret.toString()).endsWith(secret + ": cannot read (permission denied)"));
    }

    @Test
    void perplexityContextThatScoresNothingIsRefused() {
        Path eval = Fixtures.file("tiny-llama/text/eval.txt");
        for (String c : new String[] {"1", "2"}) {
            String m = refused(new PerplexityCommand(), "-m", llama(), "-f", eval.toString(), "-c", c);
            assertTrue(m.contains("-c " + c + " is too small") && m.contains("at least 3"), m);
        }
    }

    @Test
    void samplerValuesOutOfRangeAreRefused() {
        String[] base = {"-m", llama(), "-p", "hi", "-n", "1"};
        assertEquals("kiln run: --temp NaN is not a temperature; expected a number ≥ 0 (0 = greedy)", refused(new RunCommand(), with(base, "--temp", "NaN")));
        assertTrue(refused(new RunCommand(), with(base, "--temp", "-1")).contains("--temp -1.0"));
        assertEquals("kiln run: --top-p 5.0 is outside 0 … 1 (1 = off)", refused(new RunCommand(), with(base, "--top-p", "5")));
        assertEquals("kiln run: --min-p -1.0 is outside 0 … 1 (0 = off)", refused(new RunCommand(), with(base, "--min-p", "-1")));
        assertEquals("kiln run: --top-k -5 is negative; expected 0 (off) or more", refused(new RunCommand(), with(base, "--top-k", "-5")));
    }

    @Test
    void hugeContextIsRefused() {
        String m = refused(new RunCommand(), "-m", llama(), "-p", "hi", "-n", "1", "-c", "2147483647");
        assertTrue(m.contains("a context of 2147483647 tokens (-c) is longer than the model's context of 2048"), m);
    }

    @Test
    void llamaCppFlagsAreAcceptedWhereTheyMeanNothingOnTheCpu() {
        CommandsTest.Outcome o = CommandsTest.call(new RunCommand(), "-m", llama(), "-p", "First Citizen:", "-n", "2", "--temp", "0", "-t", "2",
                "-c", "32", "-fa", "-fmoe", "-amb", "512", "-ser", "7,1", "-tb", "2", "--no-mmap", "--mlock", "-ngl", "0",
                "-ot", "exps=CPU", "--n-cpu-moe", "3");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("kiln run: note: -fa, -fmoe, -ser, -tb, --no-mmap, --mlock, -ngl 0, -ot …=CPU, --n-cpu-moe accepted for"
                + " llama.cpp compatibility and ignored"), o.err());
        for (String fa : new String[] {"1", "on", "off", "auto"}) {
            o = CommandsTest.call(new RunCommand(), "-m", llama(), "-p", "First Citizen:", "-n", "1", "--temp", "0", "-t", "2", "-c", "32", "-fa", fa);
            assertEquals(0, o.code(), "-fa " + fa + ": " + o.err());
        }
        o = CommandsTest.call(new PerplexityCommand(), "-m", llama(), "-f", Fixtures.file("tiny-llama/text/eval.txt").toString(),
                "-c", "16", "--chunks", "1", "-t", "2", "-fa", "-fmoe", "-tb", "2", "--no-mmap", "-ngl", "0");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("Final estimate: PPL = "), o.out());
    }

    @Test
    void ambMustBeMibZeroOrMore() {
        String m = refused(new RunCommand(), "-m", llama(), "-p", "hi", "-n", "1", "-amb", "-1");
        assertEquals("kiln run: -amb '-1' is not a size in MiB: expected a whole number, 0 or more", m);
        m = refused(new RunCommand(), "-m", llama(), "-p", "hi", "-n", "1", "-amb", "lots");
        assertEquals("kiln run: -amb 'lots' is not a size in MiB: expected a whole number, 0 or more", m);
        m = refused(new PerplexityCommand(), "-m", llama(), "-f", Fixtures.file("tiny-llama/text/eval.txt").toString(), "--attention-max-batch", "1.5");
        assertTrue(m.contains("-amb '1.5' is not a size in MiB"), m);
    }

    @Test
    void gpuFlagsWithoutADeviceAreRefusedInOneLine() {
        CudaDevices devices = CudaDevices.probe();
        Assumptions.assumeFalse(devices.found(), "this machine has a CUDA device");
        assertEquals("kiln run: " + devices.refusal("-ngl"), refused(new RunCommand(), "-m", llama(), "-p", "hi", "-ngl", "99"));
        assertTrue(refused(new PerplexityCommand(), "-m", llama(), "-f", "x.txt", "-ngl", "99").startsWith("kiln perplexity: no CUDA device found ("));
        assertEquals("kiln run: " + devices.refusal("-ot …=CUDA"), refused(new RunCommand(), "-m", llama(), "-p", "hi", "-ot", "exps=CUDA0"));
        assertTrue(refused(new RunCommand(), "-m", llama(), "-p", "hi", "-ot", "exps").contains("-ot 'exps' is not REGEX=BUFFER"));
    }

    @Test
    void otherOptionsAreRefusedInOneLine() {
        assertTrue(refused(new RunCommand(), "-m", llama(), "-p", "hi", "-fa", "maybe").contains("-fa 'maybe' is not on, off, auto, 1 or 0"));
        // no clustering: -cnv is one unknown option, not -c nv
        assertTrue(refused(new RunCommand(), "-m", llama(), "-p", "hi", "-cnv").contains("Unknown option: '-cnv'"));
    }
}
