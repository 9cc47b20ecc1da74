package kiln.convert.archive;

import kiln.convert.pytorch.FolderFiles;
import kiln.convert.pytorch.PytorchSources;
import kiln.convert.pytorch.SourceComparison;
import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fixture folder packed as .tar.gz/.tar/.zip reads exactly like the folder (same tensors, same order, same files). */
class ArchiveSourcesTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) {
        return Fixtures.file("tiny-llama/" + name + "/config.json").getParent();
    }

    private void assertReadsLikeTheFolder(Path folder, HfSource fromFolder, Packer.Kind kind, String topDir, String ext) throws Exception {
        Path archive = Packer.pack(folder, dir.resolve(folder.getFileName() + "-" + kind + ext), kind, topDir, null);
        try (HfSource packed = ArchiveSources.open(archive)) {
            SourceComparison.assertSameTensors(fromFolder, packed, true);
            assertArrayEquals(fromFolder.file("config.json").orElseThrow(), packed.file("config.json").orElseThrow(), kind + " config.json");
            assertArrayEquals(fromFolder.file("tokenizer.json").orElseThrow(), packed.file("tokenizer.json").orElseThrow());
            assertTrue(packed.file("missing.json").isEmpty());
        }
    }

    @Test
    void binFolderPackedEveryWayReadsLikeTheFolder() throws Exception {
        Path folder = fixture("hf-bin");
        try (HfSource fromFolder = PytorchSources.open(folder)) {
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.TAR_GZ, "tiny-llama", ".tar.gz");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.TAR, "", ".tar");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.ZIP_STORED, "tiny-llama", ".zip");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.ZIP_DEFLATED, "", ".zip");
        }
    }

    @Test
    void safetensorsFolderPackedEveryWayReadsLikeTheFolder() throws Exception {
        Path folder = fixture("hf");
        try (HfSource fromFolder = ArchiveSources.fromFiles(new FolderFiles(folder))) {
            assertEquals(39, fromFolder.tensors().size());
            assertEquals("lm_head.weight", fromFolder.tensors().getFirst().name());
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.TAR_GZ, "", ".tgz");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.TAR, "tiny-llama", ".tar");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.ZIP_STORED, "", ".zip");
            assertReadsLikeTheFolder(folder, fromFolder, Packer.Kind.ZIP_DEFLATED, "tiny-llama", ".zip");
        }
    }

    @Test
    void aStreamedArchiveServesTensorsInAnyOrder() throws Exception {
        Path folder = fixture("hf-bin");
        // shards packed in reverse so that the reference order walks the stream backwards
        List<String> order = new ArrayList<>(Packer.list(folder));
        Collections.reverse(order);
        Path archive = Packer.pack(folder, dir.resolve("rev.tar.gz"), Packer.Kind.TAR_GZ, "m", order);
        try (HfSource fromFolder = PytorchSources.open(folder); HfSource packed = ArchiveSources.open(archive)) {
            List<SourceTensor> a = new ArrayList<>(fromFolder.tensors());
            List<SourceTensor> b = new ArrayList<>(packed.tensors());
            assertEquals(a.stream().map(SourceTensor::name).toList(), b.stream().map(SourceTensor::name).toList());
            for (int i : new int[] {38, 0, 37, 1, 21, 22, 5}) {
                assertEquals(-1L, a.get(i).data().mismatch(b.get(i).data()), a.get(i).name());
            }
        }
    }

    @Test
    void truncatedArchivesGiveOneLineErrors() throws Exception {
        Path folder = fixture("hf-bin");
        for (Packer.Kind kind : new Packer.Kind[] {Packer.Kind.TAR_GZ, Packer.Kind.TAR, Packer.Kind.ZIP_STORED}) {
            String ext = kind == Packer.Kind.TAR_GZ ? ".tar.gz" : kind == Packer.Kind.TAR ? ".tar" : ".zip";
            Path whole = Packer.pack(folder, dir.resolve("whole" + ext), kind, "m", null);
            byte[] b = Files.readAllBytes(whole);
            Path cut = Files.write(dir.resolve("cut" + ext), Arrays.copyOf(b, b.length / 2));
            KilnException e = assertThrows(KilnException.class, () -> {
                try (HfSource s = ArchiveSources.open(cut)) {
                    for (SourceTensor t : s.tensors()) t.data();
                }
            }, kind.toString());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
            assertEquals(2, e.exitCode());
        }
    }

    @Test
    void anArchiveWithoutAModelFolderIsRefused() throws Exception {
        Path folder = dir.resolve("empty");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("README.md"), "hi");
        Path archive = Packer.pack(folder, dir.resolve("x.tar.gz"), Packer.Kind.TAR_GZ, "a", null);
        KilnException e = assertThrows(KilnException.class, () -> ArchiveSources.open(archive));
        assertTrue(e.getMessage().contains("no config.json"), e.getMessage());
        Files.writeString(folder.resolve("config.json"), "{}");
        Path noWeights = Packer.pack(folder, dir.resolve("y.zip"), Packer.Kind.ZIP_DEFLATED, "", null);
        e = assertThrows(KilnException.class, () -> ArchiveSources.open(noWeights));
        assertTrue(e.getMessage().contains("no model*.safetensors or pytorch_model*.bin"), e.getMessage());
    }

    @Test
    void aTarGzIsReadWithoutReloadingShards() throws Exception {
        Path st = Packer.pack(fixture("hf"), dir.resolve("st.tar.gz"), Packer.Kind.TAR_GZ, "m", null);
        TarGzFiles stFiles = new TarGzFiles(st);
        try (HfSource s = ArchiveSources.fromFiles(stFiles)) {
            assertEquals(0, stFiles.loads(), "safetensors tensors are listed from headers captured in the first pass");
            for (SourceTensor t : s.tensors()) t.data();
            assertEquals(1, stFiles.loads(), "the one shard is loaded once");
        }
        Path bin = Packer.pack(fixture("hf-bin"), dir.resolve("bin.tar.gz"), Packer.Kind.TAR_GZ, "m", null);
        TarGzFiles binFiles = new TarGzFiles(bin);
        try (HfSource s = ArchiveSources.fromFiles(binFiles)) {
            assertEquals(2, binFiles.loads(), "listing .bin tensors loads each shard once (the pickle is inside)");
            for (SourceTensor t : s.tensors()) t.data();
            for (SourceTensor t : s.tensors().reversed()) t.data();
            assertEquals(2, binFiles.loads(), "two shards fit the two slots");
        }
    }
}
