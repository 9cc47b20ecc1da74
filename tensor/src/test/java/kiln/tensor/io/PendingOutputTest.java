package kiln.tensor.io;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Outputs appear only by the final rename of a fresh, exclusively created temporary file. */
class PendingOutputTest {
    @TempDir
    Path dir;

    private static final int ELEMENTS = 1 << 16;

    private static GgufLayout layout(int writer) {
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("test"));
        md.put("test.writer", GgufValue.ofU32(writer));
        return new GgufLayout(md, List.of(new GgufLayout.Entry("t", GgmlType.F32, new long[]{ELEMENTS})));
    }

    /** Writes a GGUF whose one tensor is filled with {@code value}, in chunks, waiting at the barrier between them. */
    private static void writeGguf(Path target, int value, CyclicBarrier barrier) throws Exception {
        byte[] chunk = new byte[4096];
        for (int i = 0; i < chunk.length; i += 4) {
            int b = Float.floatToIntBits(value);
            chunk[i] = (byte) b; chunk[i + 1] = (byte) (b >> 8); chunk[i + 2] = (byte) (b >> 16); chunk[i + 3] = (byte) (b >>> 24);
        }
        try (GgufOutput o = GgufOutput.create(target, layout(value))) {
            barrier.await(10, TimeUnit.SECONDS);
            for (long off = 0; off < 4L * ELEMENTS; off += chunk.length) {
                o.write(0, off, chunk);
                if (off % (16 * chunk.length) == 0) barrier.await(10, TimeUnit.SECONDS);
            }
            barrier.await(10, TimeUnit.SECONDS);
            o.commit();
        }
    }

    @Test
    void twoWritersOfTheSameTargetEachProduceAValidFile() throws Exception {
        Path target = dir.resolve("out.gguf");
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = pool.submit(() -> { writeGguf(target, 1, barrier); return null; });
            Future<?> b = pool.submit(() -> { writeGguf(target, 2, barrier); return null; });
            a.get(60, TimeUnit.SECONDS);
            b.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        try (GgufFile f = GgufFile.open(target)) {
            long writer = f.metadata().getLong("test.writer", -1);
            assertTrue(writer == 1 || writer == 2, "writer " + writer);
            var data = f.data(f.tensors().getFirst());
            for (long i = 0; i < ELEMENTS; i++) {
                assertEquals((float) writer, data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i), "element " + i + " of writer " + writer);
            }
        }
        assertEquals(List.of(target), listing(), "nothing but the output is left");
    }

    @Test
    void aLinkNamedLikeTheOldTemporaryFileIsNotFollowed() throws Exception {
        Path victim = dir.resolve("victim.txt");
        Files.writeString(victim, "precious", StandardCharsets.UTF_8);
        Path target = dir.resolve("out.gguf");
        Path planted = Files.createSymbolicLink(dir.resolve("out.gguf.tmp"), victim);
        writeGguf(target, 3, new CyclicBarrier(1));
        assertEquals("precious", Files.readString(victim, StandardCharsets.UTF_8));
        assertTrue(Files.isSymbolicLink(planted));
        assertEquals(victim, Files.readSymbolicLink(planted));
        try (GgufFile f = GgufFile.open(target)) {
            assertEquals(3, f.metadata().getLong("test.writer", -1));
        }
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("out.gguf");
        try (GgufOutput o = GgufOutput.create(target, layout(4))) {
            o.write(0, 0, new byte[16]);
            assertThrows(IllegalStateException.class, o::commit, "incomplete tensor");
        }
        assertEquals(List.of(), listing());
        try (PendingOutput p = PendingOutput.file(dir.resolve("x.bin"))) {
            Files.writeString(p.path(), "half");
            assertTrue(PendingOutput.live().contains(p.path()));
        }
        assertEquals(List.of(), listing());
        assertTrue(PendingOutput.live().isEmpty(), "discarded temporaries are unregistered");
        assertThrows(KilnException.class, () -> PendingOutput.file(dir.resolve("missing/out.gguf")));
    }

    @Test
    void aFolderOutputAppearsOnlyOnCommit() throws IOException {
        Path target = dir.resolve("model");
        try (PendingOutput p = PendingOutput.directory(target)) {
            Files.writeString(p.path().resolve("config.json"), "{}");
            assertFalse(Files.exists(target));
            p.commit();
        }
        assertEquals("{}", Files.readString(target.resolve("config.json")));
        try (PendingOutput p = PendingOutput.directory(dir.resolve("other"))) {
            Files.writeString(p.path().resolve("a"), "x");
        }
        assertEquals(List.of(target), listing());
    }

    @Test
    void sigtermRemovesTheTemporaryFile() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process proc = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HoldsATemporaryFile.class.getName(),
                dir.resolve("out.gguf").toString()).redirectErrorStream(true).start();
        try {
            String line = new String(proc.getInputStream().readNBytes("ready\n".length()), StandardCharsets.UTF_8);
            assertEquals("ready\n", line);
            assertEquals(1, listing().size(), "the temporary file exists while the writer runs");
            proc.destroy(); // SIGTERM
            assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
        } finally {
            proc.destroyForcibly();
        }
        assertEquals(List.of(), listing(), "SIGTERM left a temporary file");
    }

    /** Started by {@link #sigtermRemovesTheTemporaryFile}: opens a temporary output and waits to be killed. */
    public static final class HoldsATemporaryFile {
        public static void main(String[] args) throws Exception {
            PendingOutput p = PendingOutput.file(Path.of(args[0]));
            Files.writeString(p.path(), "partial");
            System.out.print("ready\n");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !Files.isSymbolicLink(p) && !p.getFileName().toString().equals("victim.txt")).sorted().toList();
        }
    }
}
