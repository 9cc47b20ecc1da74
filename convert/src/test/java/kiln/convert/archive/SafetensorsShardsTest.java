package kiln.convert.archive;

import kiln.convert.pytorch.FolderFiles;
import kiln.convert.pytorch.SourceComparison;
import kiln.convert.safetensors.SafetensorsFolder;
import kiln.convert.source.HfSource;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The archive package's minimal safetensors reader agrees with the convert package's folder reader (order included). */
class SafetensorsShardsTest {
    @Test
    void sameTensorsInTheSameOrderAsTheFolderReader() {
        for (String model : new String[] {"tiny-llama/hf", "tiny-deepseek/hf", "tiny-deepseek-fp8/hf-fp8"}) {
            var folder = Fixtures.file(model + "/config.json").getParent();
            try (HfSource theirs = SafetensorsFolder.open(folder); HfSource ours = ArchiveSources.fromFiles(new FolderFiles(folder))) {
                SourceComparison.assertSameTensors(theirs, ours, true);
            }
        }
    }
}
