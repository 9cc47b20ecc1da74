package kiln.tensor.gguf;

import static kiln.tensor.testing.FileHashes.sha256;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufRoundTripTest {

    @Test
    void everyFixtureGgufRewritesToTheIdenticalFile(@TempDir Path tmp) throws Exception {
        Path root = Fixtures.require();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        int n = 0;
        for (Path f : files) {
            if (f.getFileName().toString().contains("imatrix")) continue; // imatrix GGUFs are covered too, below
            Path out = tmp.resolve("copy-" + (n++) + ".gguf");
            try (GgufFile g = GgufFile.open(f)) {
                GgufCopy.copy(g, out);
            }
            assertEquals(sha256(f), sha256(out), "rewrite of " + f + " differs");
            Files.delete(out);
        }
        for (Path f : files) {
            if (!f.getFileName().toString().contains("imatrix")) continue;
            Path out = tmp.resolve("imatrix-copy.gguf");
            try (GgufFile g = GgufFile.open(f)) {
                GgufCopy.copy(g, out);
            }
            assertEquals(sha256(f), sha256(out), "rewrite of " + f + " differs");
            Files.delete(out);
        }
        assertTrue(n >= 10, "expected the fixture GGUFs, found " + n);
    }

}
