package kiln.validate;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.io.Checksums;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code kiln validate --verify}: bit rot in the data region is named per tensor (exit 1); no sidecar is one line, exit 2. */
class VerifyTest {
    @TempDir
    Path tmp;

    @Test
    void verifiesNamesWhatChangedAndNeedsTheSidecar() throws Exception {
        Path f = Files.copy(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf"), tmp.resolve("d.gguf"));
        Cli.Result none = Cli.validate("--verify", f.toString());
        assertEquals(2, none.exit(), none.all());
        assertEquals("kiln validate: " + tmp.resolve("d.gguf.sha256") + ": no checksum file (write one with --checksums when quantizing, "
                + "repacking or converting)", none.err().strip());
        assertEquals("", none.out());

        Checksums.write(f, 2);
        Cli.Result ok = Cli.validate("--verify", f.toString());
        assertEquals(0, ok.exit(), ok.all());
        assertTrue(ok.out().lines().findFirst().orElseThrow().endsWith(", checksums match)"), ok.out());

        long at;
        try (GgufFile g = GgufFile.open(f)) {
            at = g.shards().getFirst().dataOffset() + g.tensor("blk.2.ffn_down_exps.weight").offset() + 4096;
        }
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(at);
            int b = r.read();
            r.seek(at);
            r.write(b ^ 1);
        }
        Cli.Result rot = Cli.validate("--verify", f.toString());
        assertEquals(1, rot.exit(), rot.all());
        assertTrue(rot.out().contains("  error: tensor blk.2.ffn_down_exps.weight: data differs from the sha256 in d.gguf.sha256"), rot.out());
        assertEquals(1, rot.out().lines().filter(l -> l.contains("error:")).count(), rot.out());
        assertEquals(0, Cli.validate(f.toString()).exit(), "without --verify the flipped bit is invisible");
    }
}
