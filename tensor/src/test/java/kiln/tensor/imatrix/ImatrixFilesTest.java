package kiln.tensor.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImatrixFilesTest {
    @TempDir
    Path tmp;

    @Test
    void ikLegacyFileIsReadAndWrittenBackByteIdentical() throws Exception {
        Path in = Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix");
        Imatrix m = ImatrixFiles.read(in);
        assertTrue(m.legacy());
        assertEquals(27, m.size());
        assertEquals(32, m.chunkCount());
        assertEquals(List.of("text/calib.txt"), m.datasets());
        ImatrixEntry exps = m.get("blk.1.ffn_down_exps.weight");
        assertEquals(2048, exps.size());
        assertEquals(32f, exps.counts()[0]);
        assertFalse(m.entries().containsKey("blk.0.attn_kv_b.weight"), "ik -mla 3 records no attn_kv_b entry");
        Path out = tmp.resolve("copy.imatrix");
        ImatrixFiles.write(m, out, ImatrixFormat.DAT, 0);
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));
    }

    @Test
    void everyLegacyFixtureRoundTrips() throws Exception {
        for (String f : List.of("tiny-llama/ik/tiny-llama.imatrix", "tiny-deepseek/mainline/tiny-deepseek.imatrix.dat")) {
            Path in = Fixtures.file(f);
            Imatrix m = ImatrixFiles.read(in);
            Path out = tmp.resolve("rt.dat");
            ImatrixFiles.write(m, out, ImatrixFormat.DAT, 0);
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), f);
        }
    }

    @Test
    void everyGgufFixtureRoundTrips() throws Exception {
        for (String f : List.of("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf", "tiny-llama/mainline/tiny-llama.imatrix.gguf")) {
            Path in = Fixtures.file(f);
            assertEquals(ImatrixFormat.GGUF, ImatrixFiles.detect(in));
            Imatrix m = ImatrixFiles.read(in);
            assertFalse(m.legacy());
            assertTrue(ImatrixFiles.ggufHasMetadata(in));
            Path out = tmp.resolve("rt.gguf");
            ImatrixFiles.write(m, out, ImatrixFormat.GGUF, 0);
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), f);
        }
    }

    @Test
    void mainlineGgufImatrixModel() {
        Imatrix m = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        assertEquals(35, m.size());
        assertEquals(16, m.chunkCount());
        assertEquals(128, m.chunkSize());
        assertEquals(List.of("text/calib.txt"), m.datasets());
        ImatrixEntry e = m.get("blk.1.ffn_down_exps.weight");
        assertEquals(8, e.nMat());
        assertEquals(256, e.ne0());
        ImatrixEntry vb = m.get("blk.0.attn_v_b.weight");
        assertEquals(1, vb.nMat(), "3-D attn_v_b is one matrix with one count in mainline's file");
        assertEquals(1024, vb.size());
    }

    @Test
    void ggufConvertedToDatEqualsMainlinesOwnDatFile() throws Exception {
        Imatrix g = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        Path out = tmp.resolve("conv.dat");
        ImatrixFiles.write(g, out, ImatrixFormat.DAT, 0);
        assertArrayEquals(Files.readAllBytes(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.dat")), Files.readAllBytes(out));
    }

    @Test
    void tinyLlamaGgufConvertedToDatMatchesTheRecordedShaOfMainlinesDat() throws Exception {
        // mainline/tiny-llama.imatrix.dat is not kept in the fixtures; its sha256 is recorded
        Imatrix g = ImatrixFiles.read(Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf"));
        Path out = tmp.resolve("llama.dat");
        ImatrixFiles.write(g, out, ImatrixFormat.DAT, 0);
        byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out));
        assertEquals("ec78f27079d786c2f427929dc51aa738e14c63542de71ae0d8711fe632e09f78", java.util.HexFormat.of().formatHex(d));
        assertEquals(37794, Files.size(out));
    }

    @Test
    void datConvertedToGgufKeepsTheWeights() {
        Imatrix dat = ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"));
        Path out = tmp.resolve("conv.gguf");
        ImatrixFiles.write(dat, out, ImatrixFormat.GGUF, 128);
        Imatrix g = ImatrixFiles.read(out);
        assertFalse(g.legacy());
        assertEquals(dat.size(), g.size());
        assertEquals(128, g.chunkSize());
        assertEquals(32, g.chunkCount());
        for (ImatrixEntry e : dat.entries().values()) {
            assertArrayEquals(ImatrixWeights.of(dat, e), ImatrixWeights.of(g, g.get(e.name())), e.name());
        }
        // and back to .dat gives the original file's entries (sorted)
        Imatrix back = ImatrixConvert.toLegacy(g);
        for (ImatrixEntry e : back.entries().values()) assertArrayEquals(dat.get(e.name()).sums(), e.sums(), e.name());
    }

    @Test
    void weightsArePerExpertMeans() {
        Imatrix m = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        ImatrixEntry e = m.get("blk.2.ffn_up_exps.weight");
        float[] w = ImatrixWeights.of(m, e);
        for (int j = 0; j < 8; j++) {
            float c = e.counts()[j];
            for (int i = 0; i < 256; i += 37) {
                float expected = c > 0 ? e.sums()[j * 256 + i] / c : 1f;
                assertEquals(expected, w[j * 256 + i], 0f);
            }
        }
        float[] slice = ImatrixWeights.slice(w, 3, 256);
        assertEquals(w[3 * 256 + 5], slice[5], 0f);
        Imatrix legacy = ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"));
        ImatrixEntry l = legacy.get("blk.0.ffn_down.weight");
        assertEquals(l.sums()[7] / 32f, ImatrixWeights.of(legacy, l)[7], 0f);
    }

    @Test
    void mergingAFileWithItselfDoublesSumsAndCounts() {
        Imatrix m = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        Imatrix two = ImatrixMerge.raw(List.of(m, m), 128);
        assertEquals(m.size(), two.size());
        assertEquals(32, two.chunkCount());
        ImatrixEntry a = m.get("blk.1.ffn_gate_exps.weight");
        ImatrixEntry b = two.get("blk.1.ffn_gate_exps.weight");
        assertEquals(2 * a.counts()[4], b.counts()[4]);
        assertEquals(2 * a.sums()[100], b.sums()[100]);
        assertArrayEquals(ImatrixWeights.of(m, a), ImatrixWeights.of(two, b));
        Imatrix ik = ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"));
        Imatrix ik2 = ImatrixMerge.legacy(List.of(ik, ik));
        assertEquals(64f, ik2.get("blk.0.ffn_up.weight").counts()[0]);
        assertArrayEquals(ImatrixWeights.of(ik, ik.get("blk.0.ffn_up.weight")), ImatrixWeights.of(ik2, ik2.get("blk.0.ffn_up.weight")));
    }

    @Test
    void mergingLegacyAndGgufBroadcastsASingleCountToTheExperts() {
        Imatrix ik = ImatrixFiles.read(Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix"));
        Imatrix ml = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        Imatrix both = ImatrixMerge.raw(List.of(ik, ml), 128);
        ImatrixEntry a = ik.get("blk.1.ffn_up_exps.weight");
        ImatrixEntry b = ml.get("blk.1.ffn_up_exps.weight");
        ImatrixEntry m = both.get("blk.1.ffn_up_exps.weight");
        assertEquals(8, m.nMat());
        for (int j = 0; j < 8; j++) assertEquals(32f * 128 + b.counts()[j], m.counts()[j], "expert " + j);
        assertEquals(a.sums()[300] * 128f + b.sums()[300], m.sums()[300], 1e-3f * Math.abs(m.sums()[300]));
        assertTrue(both.entries().containsKey("blk.0.attn_k_b.weight"), "entries of either input are kept");
        assertEquals(List.of("text/calib.txt", "text/calib.txt"), both.datasets());
    }

    @Test
    void mergeRejectsEntriesOfDifferentSize() {
        Imatrix a = Imatrix.of(List.of(new ImatrixEntry("x.weight", new float[4], new float[]{1})), List.of(), 1, 4, false);
        Imatrix b = Imatrix.of(List.of(new ImatrixEntry("x.weight", new float[8], new float[]{1})), List.of(), 1, 4, false);
        KilnException e = assertThrows(KilnException.class, () -> ImatrixMerge.raw(List.of(a, b), 4));
        assertTrue(e.getMessage().contains("x.weight"), e.getMessage());
    }

    @Test
    void garbageAndTruncatedFilesGiveClearErrors() throws Exception {
        Path bad = tmp.resolve("bad.dat");
        Files.write(bad, new byte[]{2, 0, 0, 0, 100, 0, 0, 0, 'a'});
        KilnException e = assertThrows(KilnException.class, () -> ImatrixFiles.read(bad));
        assertTrue(e.getMessage().contains("entry 1"), e.getMessage());
        Files.write(bad, new byte[]{0, 0, 0, 0});
        assertThrows(KilnException.class, () -> ImatrixFiles.read(bad));
        assertThrows(KilnException.class, () -> ImatrixFiles.read(tmp.resolve("missing.dat")));
    }

    @Test
    void writeIntoMissingFolderFailsAndLeavesNothing() throws java.io.IOException {
        Imatrix m = Imatrix.of(List.of(new ImatrixEntry("x.weight", new float[]{1, 2}, new float[]{1})), List.of("d"), 1, 0, true);
        Path target = tmp.resolve("nope/out.dat");
        assertThrows(KilnException.class, () -> ImatrixFiles.write(m, target, ImatrixFormat.DAT, 0));
        assertFalse(Files.exists(tmp.resolve("nope")));
        Path ok = tmp.resolve("ok.dat");
        ImatrixFiles.write(m, ok, ImatrixFormat.DAT, 0);
        assertTrue(Files.exists(ok));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(ok), s.toList(), "only the output is left");
        }
    }
}
