package kiln.bench.matrix;

import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatrixRunnerTest {

    static List<String> fakeCommand(Path dir) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "-Dfake.dir=" + dir, "-cp", System.getProperty("java.class.path"), FakeBench.class.getName());
    }

    private static Path matrix(Path dir, String configs) throws IOException {
        Path m = dir.resolve("matrix.json");
        Files.writeString(m, "{\"models\": [\"a.gguf\", \"b.gguf\"], \"configs\": [" + configs + "], \"bench\": [\"-p\", \"0\", \"-n\", \"32\"]}");
        return m;
    }

    private static long markers(Path dir, String part) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("run-") && p.getFileName().toString().contains(part)).count();
        }
    }

    @Test
    void failingConfigurationsBecomeRowsAndTheRunGoesOn(@TempDir Path dir) throws IOException {
        Path m = matrix(dir, "{\"name\": \"good\", \"args\": [\"--fake\", \"ok\"]}, {\"name\": \"boom\", \"args\": [\"--fake\", \"crash\"]},"
                + "{\"name\": \"refused\", \"args\": [\"--fake\", \"fail\"]}");
        Path results = dir.resolve("out.jsonl");
        List<ObjectNode> rows = new MatrixRunner(fakeCommand(dir), new PrintStream(new ByteArrayOutputStream())).run(MatrixSpec.read(m), results);
        assertEquals(6, rows.size());
        List<String> statuses = new ArrayList<>();
        for (ObjectNode r : rows) statuses.add(r.get("config").asText() + ":" + r.get("status").asText());
        assertTrue(statuses.contains("good:ok"), statuses.toString());
        assertTrue(statuses.contains("boom:FAIL: crashed (signal 6)"), statuses.toString());
        assertTrue(statuses.contains("refused:FAIL: exit code 2: kiln bench: cannot run type q4_k_r4"), statuses.toString());
        String table = MatrixRunner.markdown(rows);
        assertTrue(table.contains("| good | a.gguf | tg32 | 12.50 ± 0.50 |"), table);
        assertTrue(table.contains("| boom | b.gguf | — | FAIL: crashed (signal 6) |"), table);
        // a second run has nothing left to do
        new MatrixRunner(fakeCommand(dir), new PrintStream(new ByteArrayOutputStream())).run(MatrixSpec.read(m), results);
        assertEquals(2, markers(dir, "-ok-"));
        assertEquals(6, MatrixRunner.readRows(results).size());
    }

    @Test
    void aKilledRunResumesWithoutRepeatingFinishedConfigurations(@TempDir Path dir) throws Exception {
        Path m = matrix(dir, "{\"name\": \"first\", \"args\": [\"--fake\", \"ok\"]}, {\"name\": \"second\", \"args\": [\"--fake\", \"slow-once\"]}");
        Path results = dir.resolve("out.jsonl");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), MatrixMain.class.getName(),
                m.toString(), results.toString(), dir.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (markers(dir, "a.gguf-slow-once") == 0 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(1, markers(dir, "a.gguf-slow-once"), "the slow configuration never started");
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        assertEquals(1, MatrixRunner.readRows(results).size(), "only the finished configuration is recorded");

        List<ObjectNode> rows = new MatrixRunner(fakeCommand(dir), new PrintStream(new ByteArrayOutputStream())).run(MatrixSpec.read(m), results);
        assertEquals(4, rows.size());
        assertEquals(1, markers(dir, "a.gguf-ok"), "a finished configuration must not run again");
        assertEquals(2, markers(dir, "a.gguf-slow-once"), "the interrupted configuration runs again");
        assertTrue(rows.stream().allMatch(r -> r.get("status").asText().equals("ok")));
    }

    @Test
    void badMatrixFilesAreOneLineErrors(@TempDir Path dir) throws IOException {
        Path m = dir.resolve("m.json");
        Files.writeString(m, "{\"models\": []}");
        KilnException e = assertThrows(KilnException.class, () -> MatrixSpec.read(m));
        assertTrue(e.getMessage().contains("\"models\" must be a non-empty list"), e.getMessage());
        Files.writeString(m, "{\"models\": [\"x\"], \"configs\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}");
        e = assertThrows(KilnException.class, () -> MatrixSpec.read(m));
        assertTrue(e.getMessage().contains("duplicate config name 'a'"), e.getMessage());
        Files.writeString(m, "{not json");
        e = assertThrows(KilnException.class, () -> MatrixSpec.read(m));
        assertTrue(e.getMessage().startsWith(m + ": not a readable JSON matrix"), e.getMessage());
    }
}
