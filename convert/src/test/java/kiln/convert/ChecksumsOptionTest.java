package kiln.convert;

import kiln.convert.cli.ConvertCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.io.Checksums;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** {@code kiln convert --checksums}: one OUT.sha256 beside the first file of a split set covers every file of it. */
class ChecksumsOptionTest {
    @TempDir
    Path tmp;

    @Test
    void aSplitSetGetsOneSidecarCoveringEveryFile() throws Exception {
        Path out = tmp.resolve("x.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), Fixtures.file("tiny-llama/hf").toString(), "-o", out.toString(),
                "--no-progress", "--split-max-size", "2M", "--checksums"));
        List<Path> sidecars;
        try (Stream<Path> s = Files.list(tmp)) {
            sidecars = s.filter(p -> p.toString().endsWith(".sha256")).toList();
        }
        assertEquals(List.of(tmp.resolve("x-00001-of-00004.gguf.sha256")), sidecars);
        assertEquals(4, Files.readAllLines(sidecars.getFirst()).stream().filter(l -> l.contains("  header x-0000")).count());
        assertEquals(List.of(), Checksums.verify(tmp.resolve("x-00001-of-00004.gguf"), 2));
    }
}
