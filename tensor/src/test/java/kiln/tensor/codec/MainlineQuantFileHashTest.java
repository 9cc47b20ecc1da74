package kiln.tensor.codec;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden test for the quantized files the fixtures record only by sha256 ("produced but not included"): the whole
 * file is rebuilt from the bf16 fixture (tensor list and types from gguf_inventory.json, KVs as llama-quantize
 * writes them, data from Kiln's codecs) and its sha256 must equal the recorded one. This is what covers Q4_0,
 * Q5_1 and Q8_0 from mainline itself, and the weighted IQ4_XS/IQ4_NL paths.
 */
class MainlineQuantFileHashTest {

    @ParameterizedTest(name = "{0}/{2}")
    @CsvSource({
            // model,           bf16 input,                                    output file,                                            ftype, imatrix
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-Q4_0.gguf,                       2,  ",
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-Q8_0.gguf,                       7,  ",
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-Q5_K_M.gguf,                     17, ",
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-Q6_K.gguf,                       18, ",
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-IQ4_XS-imat.gguf,                30, mainline/tiny-deepseek.imatrix.gguf",
            "tiny-deepseek,     mainline/tiny-deepseek-bf16.gguf,              mainline/tiny-deepseek-Q4_K_M-imat-from-ik-dat.gguf,    15, ik/tiny-deepseek.imatrix",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q4_0.gguf,                          2,  ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q8_0.gguf,                          7,  ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q4_K_M.gguf,                        15, ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q5_K_M.gguf,                        17, ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q6_K.gguf,                          18, ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-IQ4_XS.gguf,                        30, ",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-Q4_K_M-imat.gguf,                   15, mainline/tiny-llama.imatrix.gguf",
            "tiny-llama,        mainline/tiny-llama-bf16.gguf,                 mainline/tiny-llama-IQ4_XS-imat.gguf,                   30, mainline/tiny-llama.imatrix.gguf",
            "tiny-deepseek-fp8, mainline/tiny-deepseek-fp8-bf16.gguf,          mainline/tiny-deepseek-fp8-Q8_0.gguf,                   7,  ",
    })
    void rebuiltFileHasTheRecordedSha256(String model, String input, String output, int ftype, String imatrix) {
        Path dir = Fixtures.require().resolve(model);
        ReferenceFiles.Recorded want = ReferenceFiles.recorded(dir, output);
        List<ReferenceFiles.Planned> plan = ReferenceFiles.inventoryTensors(dir, output);
        Map<String, float[]> imat = Map.of();
        Map<String, GgufValue> imatKvs = Map.of();
        if (imatrix != null) {
            Path p = Fixtures.file(model + "/" + imatrix);
            imat = imatrix.endsWith(".gguf") ? FixtureQuant.loadImatrix(p) : ReferenceFiles.loadLegacyImatrix(p);
            imatKvs = ReferenceFiles.imatrixKvs(imatrix, "text/calib.txt", imat.size(), recordedChunks(dir, output));
        }
        try (GgufFile in = GgufFile.open(Fixtures.file(model + "/" + input))) {
            GgufMetadata md = ReferenceFiles.quantizedMetadata(in.metadata(), ftype, imatKvs);
            assertEquals(ReferenceFiles.inventoryKeys(dir, output), new ArrayList<>(md.keys()), "KV order of " + output);
            byte[] file = ReferenceFiles.build(in, md, plan, imat);
            assertEquals(want.bytes(), file.length, "size of " + output);
            assertEquals(want.sha256(), ReferenceFiles.sha256(file), "sha256 of " + output);
        }
    }

    private static int recordedChunks(Path dir, String output) {
        String json = ReferenceFiles.inventoryKvValue(dir, output, "quantize.imatrix.chunks_count");
        return Integer.parseInt(json);
    }
}
