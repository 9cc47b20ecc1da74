package kiln.quantize;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ik's {@code --keep-split}: {@code kiln quantize --flavor ik --keep-split} on a 3-file split input writes the three
 * files ik's llama-quantize wrote (names, metadata, tensors, bytes: sha256 in {@code ik-keep-split.sha256}), for Q8_0,
 * Q4_K_M and COPY on both fixture models; an unsplit input gives ik's {@code -00001-of-00001.gguf}.
 */
class IkKeepSplitTest {
    @TempDir
    Path tmp;

    private static final Map<String, String> FIXTURE = Map.of(
            "tiny-llama", "tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-deepseek", "tiny-deepseek/ik/tiny-deepseek-bf16.gguf");

    @TestFactory
    List<DynamicTest> kilnWritesIksSplitFiles() throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (InputStream s = IkKeepSplitTest.class.getResourceAsStream("ik-keep-split.sha256")) {
            for (String line : new String(s.readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
                if (!line.isBlank() && !line.startsWith("#")) rows.add(line.trim().split("\\s+"));
            }
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : List.of("tiny-llama", "tiny-deepseek")) {
            for (String type : List.of("Q8_0", "Q4_K_M", "COPY")) {
                tests.add(DynamicTest.dynamicTest(model + " " + type + " --keep-split", () -> {
                    Path dir = Files.createDirectories(tmp.resolve(model + "-" + type));
                    Path in = SplitInput.write(Fixtures.file(FIXTURE.get(model)), dir.resolve(model + "-bf16").toString(), 3);
                    for (int i = 1; i <= 3; i++) {
                        assertEquals(want(rows, "input", model, "-", i), sha(dir.resolve(String.format("%s-bf16-%05d-of-00003.gguf", model, i))),
                                "the split input is not the one ik was given (SplitInput changed?)");
                    }
                    quantize(in, dir.resolve("out/" + model + "-" + type + ".gguf"), type);
                    for (int i = 1; i <= 3; i++) {
                        Path f = dir.resolve(String.format("out/%s-%s-%05d-of-00003.gguf", model, type, i));
                        assertTrue(Files.exists(f), f + " written");
                        assertEquals(want(rows, "output", model, type, i), sha(f), f.getFileName().toString());
                    }
                }));
            }
        }
        tests.add(DynamicTest.dynamicTest("tiny-llama unsplit Q8_0 --keep-split", () -> {
            quantize(Fixtures.file(FIXTURE.get("tiny-llama")), tmp.resolve("single-Q8_0.gguf"), "Q8_0");
            assertEquals(want(rows, "single", "tiny-llama", "Q8_0", 1), sha(tmp.resolve("single-Q8_0-00001-of-00001.gguf")));
            assertTrue(!Files.exists(tmp.resolve("single-Q8_0.gguf")), "no unsplit output");
        }));
        return tests;
    }

    private static void quantize(Path in, Path out, String type) {
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(OutputStream.nullOutputStream());
        assertEquals(0, CliSupport.run(cmd, "--flavor", "ik", "--keep-split", in.toString(), out.toString(), type, "2"), "exit code");
    }

    private static String want(List<String[]> rows, String kind, String model, String type, int file) {
        for (String[] r : rows) {
            if (r[0].equals(kind) && r[1].equals(model) && r[2].equals(type) && Integer.parseInt(r[3]) == file) return r[4];
        }
        throw new AssertionError("no reference for " + kind + " " + model + " " + type + " " + file);
    }

    private static String sha(Path f) throws Exception {
        return FileHashes.sha256(f);
    }
}
