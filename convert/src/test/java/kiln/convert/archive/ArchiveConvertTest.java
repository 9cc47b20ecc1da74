package kiln.convert.archive;

import kiln.convert.pytorch.ConvertRuns;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A packed fixture folder converts to the same file as the folder (the reference converter's file). */
class ArchiveConvertTest {
    @TempDir
    Path tmp;

    @Test
    void tarGzOfTheBinFolderConvertsToTheReferenceFile() throws Exception {
        Path folder = Fixtures.file("tiny-llama/hf-bin/config.json").getParent();
        // general.name is guessed from the input's name; the reference file says "Hf"
        Path archive = Packer.pack(folder, tmp.resolve("hf.tar.gz"), Packer.Kind.TAR_GZ, "hf-bin", null);
        Path out = tmp.resolve("out.gguf");
        assertEquals(0, ConvertRuns.convert(archive, out, "--outtype", "bf16"));
        ConvertRuns.assertSameFile(Fixtures.file("tiny-llama/mainline/tiny-llama-bin-bf16.gguf"), out);
    }

    @Test
    void zipOfTheSafetensorsFolderConvertsToTheReferenceFile() throws Exception {
        Path folder = Fixtures.file("tiny-llama/hf/config.json").getParent();
        Path archive = Packer.pack(folder, tmp.resolve("hf.zip"), Packer.Kind.ZIP_DEFLATED, "", null);
        Path out = tmp.resolve("out.gguf");
        assertEquals(0, ConvertRuns.convert(archive, out, "--outtype", "bf16"));
        ConvertRuns.assertSameFile(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), out);
    }
}
