package kiln.convert.pytorch;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kiln convert} on PyTorch .bin input: the reference converter's exact file; hostile input refused with exit 2. */
class PytorchConvertTest {
    @TempDir
    Path tmp;

    @Test
    void binShardsConvertToTheReferenceFile() throws Exception {
        Path hfBin = Fixtures.file("tiny-llama/hf-bin/pytorch_model.bin.index.json").getParent();
        // general.name is guessed from the input's name; the reference file says "Hf", so the folder is presented as "hf"
        Path named = Files.createDirectories(tmp.resolve("hf"));
        try (var files = Files.list(hfBin)) {
            for (Path f : files.toList()) Files.copy(f, named.resolve(f.getFileName()));
        }
        Path out = tmp.resolve("bin.gguf");
        assertEquals(0, ConvertRuns.convert(named, out, "--outtype", "bf16"));
        ConvertRuns.assertSameFile(Fixtures.file("tiny-llama/mainline/tiny-llama-bin-bf16.gguf"), out);
    }

    @Test
    void hostileCheckpointExitsWithTwoAndWritesNothing() throws Exception {
        Path marker = tmp.resolve("pwned");
        byte[] pickle = new PickleBytes().proto(2).global("posix", "system").str("touch " + marker).tuple1().reduce().stop().bytes();
        Path folder = new TorchBinWriter().pickle(pickle).writeFolder(tmp.resolve("evil"));
        Path out = tmp.resolve("evil.gguf");
        PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true));
            code = ConvertRuns.convert(folder, out);
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(2, code);
        assertFalse(Files.exists(marker), "nothing executed");
        assertFalse(Files.exists(out), "no output");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no partial output");
        }
        String text = err.toString().strip();
        assertFalse(text.contains("\n"), text);
        assertTrue(text.startsWith("kiln convert: ") && text.contains("posix.system") && text.contains("nothing was executed"), text);
    }
}
