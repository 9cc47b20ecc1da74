package kiln.tensor.io;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** OUT.sha256: written beside a GGUF, and every tensor or header whose bytes changed since is named. */
class ChecksumsTest {
    @TempDir
    Path tmp;

    private Path copy() throws Exception {
        return Files.copy(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("m.gguf"));
    }

    private static void flipByteAt(Path f, long at) throws Exception {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(at);
            int b = r.read();
            r.seek(at);
            r.write(b ^ 0x10);
        }
    }

    private static long dataStart(Path f, String tensor) {
        try (GgufFile g = GgufFile.open(f)) {
            TensorInfo t = g.tensor(tensor);
            return g.shards().getFirst().dataOffset() + t.offset();
        }
    }

    @Test
    void anUntouchedFileMatches() throws Exception {
        Path f = copy();
        Path side = Checksums.write(f, 2);
        assertEquals(tmp.resolve("m.gguf.sha256"), side);
        List<String> lines = Files.readAllLines(side);
        assertEquals(1 + 1 + 39, lines.size(), "comment, header, 39 tensors");
        assertTrue(lines.get(1).endsWith("  header m.gguf"), lines.get(1));
        assertEquals(List.of(), Checksums.verify(f, 2));
    }

    @Test
    void eachChangedTensorIsNamed() throws Exception {
        Path f = copy();
        Checksums.write(f, 2);
        flipByteAt(f, dataStart(f, "blk.2.attn_v.weight") + 100);
        flipByteAt(f, dataStart(f, "output_norm.weight"));
        assertEquals(List.of("tensor output_norm.weight: data differs from the sha256 in m.gguf.sha256",
                "tensor blk.2.attn_v.weight: data differs from the sha256 in m.gguf.sha256").stream().sorted().toList(),
                Checksums.verify(f, 2).stream().sorted().toList());
    }

    @Test
    void aChangedHeaderIsNamed() throws Exception {
        Path f = copy();
        Checksums.write(f, 2);
        byte[] d = Files.readAllBytes(f);
        int at = new String(d, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("general.architecture") + 2; // a key's letter
        flipByteAt(f, at);
        assertEquals(List.of("header m.gguf: bytes differ from the sha256 in m.gguf.sha256"), Checksums.verify(f, 2));
    }

    @Test
    void aMissingOrDamagedSidecarIsOneLineExitTwo() throws Exception {
        Path f = copy();
        KilnException e = assertThrows(KilnException.class, () -> Checksums.verify(f, 2));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith(tmp.resolve("m.gguf.sha256") + ": no checksum file"), e.getMessage());
        assertThrows(KilnException.class, () -> Checksums.requireSidecar(f));
        Files.writeString(tmp.resolve("m.gguf.sha256"), "not a checksum\n");
        e = assertThrows(KilnException.class, () -> Checksums.verify(f, 2));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("line 1 is not"), e.getMessage());
    }
}
