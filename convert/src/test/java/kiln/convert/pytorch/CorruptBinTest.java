package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Truncated or corrupt .bin files give one-line errors naming the file. */
class CorruptBinTest {
    @TempDir
    Path dir;

    private static KilnException assertOneLineError(Path folder, String expected) {
        KilnException e = assertThrows(KilnException.class, () -> {
            try (HfSource s = PytorchSources.open(folder)) {
                for (SourceTensor t : s.tensors()) t.data();
            }
        });
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("pytorch_model"), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        return e;
    }

    private Path folderWithBin(byte[] bin) throws Exception {
        Path f = dir.resolve("m");
        Files.createDirectories(f);
        Files.writeString(f.resolve("config.json"), "{}");
        Files.write(f.resolve("pytorch_model.bin"), bin);
        return f;
    }

    @Test
    void truncatedFixtureShard() throws Exception {
        byte[] whole = Files.readAllBytes(Fixtures.file("tiny-llama/hf-bin/pytorch_model-00002-of-00002.bin"));
        for (int keep : new int[] {whole.length / 2, whole.length - 30, 200}) {
            assertOneLineError(folderWithBin(Arrays.copyOf(whole, keep)), "corrupt or truncated");
        }
    }

    @Test
    void notAZip() throws Exception {
        assertOneLineError(folderWithBin("\u0080\u0002this is the legacy format".getBytes()), "legacy");
    }

    @Test
    void garbledPickle() throws Exception {
        byte[] good = new PickleBytes().proto(2).emptyDict().mark()
                .str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).setitems().stop().bytes();
        Path f = new TorchBinWriter().pickle(Arrays.copyOf(good, good.length - 10)).storage("0", TorchBinWriter.floats(1, 2)).writeFolder(dir.resolve("a"));
        assertOneLineError(f, "data.pkl");
    }

    @Test
    void missingOrShortStorage() throws Exception {
        byte[] p = new PickleBytes().proto(2).emptyDict().mark()
                .str("w").tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}).setitems().stop().bytes();
        assertOneLineError(new TorchBinWriter().pickle(p).writeFolder(dir.resolve("a")), "storage data/0 named by data.pkl is missing");
        assertOneLineError(new TorchBinWriter().pickle(p).storage("0", TorchBinWriter.floats(1, 2)).writeFolder(dir.resolve("b")),
                "holds 8 bytes, data.pkl says 16");
    }

    @Test
    void viewOutsideItsStorage() throws Exception {
        byte[] p = new PickleBytes().proto(2).emptyDict().mark()
                .str("w").tensor("FloatStorage", "0", 4, 2, new long[] {2, 2}, new long[] {2, 1}).setitems().stop().bytes();
        assertOneLineError(new TorchBinWriter().pickle(p).storage("0", TorchBinWriter.floats(1, 2, 3, 4)).writeFolder(dir.resolve("a")),
                "reaches element 6 of a storage of 4");
    }

    @Test
    void notAStateDict() throws Exception {
        byte[] p = new PickleBytes().proto(2).emptyDict().mark().str("epoch").integer(3).setitems().stop().bytes();
        assertOneLineError(new TorchBinWriter().pickle(p).writeFolder(dir.resolve("a")), "'epoch' is 3, expected a tensor");
    }

    @Test
    void indexNamingAMissingShard() throws Exception {
        byte[] p = new PickleBytes().proto(2).emptyDict().stop().bytes();
        Path f = new TorchBinWriter().pickle(p).writeFolder(dir.resolve("a"));
        Files.writeString(f.resolve("pytorch_model.bin.index.json"), "{\"weight_map\": {\"x\": \"pytorch_model-00002-of-00002.bin\"}}");
        assertOneLineError(f, "pytorch_model-00002-of-00002.bin, which is missing");
    }
}
