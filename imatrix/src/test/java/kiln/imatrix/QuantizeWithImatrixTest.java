package kiln.imatrix;

import kiln.quantize.QuantizeCommand;
import kiln.runtime.eval.Perplexity;
import kiln.runtime.eval.PerplexityResult;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantizing with Kiln's imatrix is no worse than quantizing with the reference tool's (same type, same text):
 * kiln quantize with each imatrix, then kiln perplexity on eval.txt (-c 128, 16 chunks, to stay fast).
 */
class QuantizeWithImatrixTest {

    private static double ppl(Path model, String flavorArg, Path imatrix, String type, Path dir) throws Exception {
        Path out = dir.resolve(imatrix.getFileName() + "-" + type + ".gguf");
        assertEquals(0, CliSupport.run(new QuantizeCommand(), "--flavor", flavorArg, "--imatrix", imatrix.toString(), model.toString(),
                out.toString(), type, "2"));
        String text = ImatrixTool.readText(model.getParent().getParent().resolve("text/eval.txt"));
        try (Model m = ModelLoader.load(out, ModelOptions.defaults().withCtx(128).withThreads(2))) {
            PerplexityResult r = Perplexity.run(m, text, 16, null, null);
            System.out.printf("quantized %s %s with %s: PPL %.4f%n", model.getFileName(), type, imatrix.getFileName(), r.ppl());
            return r.ppl();
        }
    }

    @Test
    void mainlineQ4KM() throws Exception {
        Path root = Fixtures.require();
        Path model = root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        Path kiln = Collected.of("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "gguf", "auto", 3);
        Path dir = Files.createTempDirectory("kiln-imatrix-q");
        double withKiln = ppl(model, "mainline", kiln, "Q4_K_M", dir);
        double withRef = ppl(model, "mainline", root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"), "Q4_K_M", dir);
        assertTrue(withKiln <= withRef * 1.001, "Kiln " + withKiln + " vs reference " + withRef);
    }

    @Test
    void ikIq4Xs() throws Exception {
        Path root = Fixtures.require();
        Path model = root.resolve("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path kiln = Collected.of("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "dat", "auto", 3);
        Path dir = Files.createTempDirectory("kiln-imatrix-q");
        double withKiln = ppl(model, "ik", kiln, "IQ4_XS", dir);
        double withRef = ppl(model, "ik", root.resolve("tiny-deepseek/ik/tiny-deepseek.imatrix"), "IQ4_XS", dir);
        assertTrue(withKiln <= withRef * 1.001, "Kiln " + withKiln + " vs reference " + withRef);
    }
}
