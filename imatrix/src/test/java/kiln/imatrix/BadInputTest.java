package kiln.imatrix;

import kiln.imatrix.cli.ImatrixCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input: one-line errors, exit code 2, no output file. */
class BadInputTest {

    private static String[] run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setErr(new PrintStream(b, true));
        int rc;
        try {
            rc = CliSupport.run(new ImatrixCommand(), args);
        } finally {
            System.setErr(old);
        }
        return new String[]{Integer.toString(rc), b.toString()};
    }

    private static void assertUsageError(String[] r, String fragment) {
        assertEquals("2", r[0], r[1]);
        String last = r[1].strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains(fragment), last);
    }

    @Test
    void textShorterThanTwoChunks() throws Exception {
        Path root = Fixtures.require();
        Path dir = Files.createTempDirectory("kiln-imatrix-bad");
        Path text = dir.resolve("short.txt");
        Files.writeString(text, "First Citizen:\nBefore we proceed any further, hear me speak.\n");
        Path out = dir.resolve("out.gguf");
        String[] r = run("-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(), "-f", text.toString(),
                "-o", out.toString(), "-c", "128", "-t", "2");
        assertUsageError(r, "you need at least 256 tokens");
        assertFalse(Files.exists(out));
    }

    @Test
    void contextLongerThanTheModels() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-bad").resolve("out.gguf");
        String[] r = run("-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(),
                "-f", root.resolve("tiny-deepseek/text/calib.txt").toString(), "-o", out.toString(), "-c", "4096");
        assertUsageError(r, "longer than tiny-deepseek-bf16.gguf's context of 2048");
        assertFalse(Files.exists(out));
    }

    @Test
    void inFileOfAnotherModel() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-bad").resolve("out.gguf");
        String[] r = run("-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(),
                "--in-file", root.resolve("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString(), "-o", out.toString());
        assertUsageError(r, "is not a tensor of tiny-deepseek-bf16.gguf");
        assertFalse(Files.exists(out));
    }

    @Test
    void skippingTooManyChunks() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-bad").resolve("out.gguf");
        String[] r = run("-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(),
                "-f", root.resolve("tiny-deepseek/text/calib.txt").toString(), "-o", out.toString(), "-c", "128", "--chunk", "63", "-t", "2");
        assertUsageError(r, "not enough tokens left after removing 63 chunks");
        assertFalse(Files.exists(out));
    }

    @Test
    void convertNeedsAFormat() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-bad").resolve("out.dat");
        String[] r = run("--convert", root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf").toString(), "-o", out.toString());
        assertUsageError(r, "--convert needs --format dat|gguf");
    }
}
