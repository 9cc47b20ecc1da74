package kiln.convert;

import kiln.tensor.testing.FileHashes;
import kiln.convert.cli.ConvertCommand;
import kiln.quantize.QuantizeCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One-pass quantization options: refusals (one line, exit 2, nothing written) and what stays as it was. */
class OnePassBadInputTest {
    @TempDir
    Path tmp;

    private String fails(String model, List<String> opts, String... expected) throws IOException {
        Fixtures.require();
        Path dir = Files.createDirectories(tmp.resolve("out-" + System.nanoTime()));
        List<String> a = new ArrayList<>(List.of(Fixtures.file(model + "/hf").toString(), "-o", dir.resolve("x.gguf").toString(), "--no-progress"));
        a.addAll(opts);
        StringWriter err = new StringWriter();
        CommandLine cl = CliSupport.configure(new CommandLine(new ConvertCommand()));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(a.toArray(String[]::new));
        String msg = err.toString().strip();
        assertEquals(2, rc, msg);
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        for (String e : expected) assertTrue(msg.contains(e), "'" + msg + "' should mention '" + e + "'");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "no output left behind");
        }
        return msg;
    }

    @Test
    void unknownOuttypeName() throws IOException {
        fails("tiny-llama", List.of("--outtype", "Q4_K_X"), "--outtype", "Q4_K_X", "Q4_K_M");
    }

    @Test
    void typeThatNeedsAnImatrixWithoutOne() throws IOException {
        fails("tiny-llama", List.of("--outtype", "IQ2_XXS"), "IQ2_XXS", "imatrix");
        fails("tiny-deepseek", List.of("--outtype", "Q2_K_S", "--mla-layout", "mainline"), "Q2_K_S", "imatrix");
    }

    @Test
    void ikOnlyTypeForAMainlineFlavourOutput() throws IOException {
        // a Llama output is quantized as mainline does unless --flavor ik, exactly as kiln quantize decides
        fails("tiny-llama", List.of("--outtype", "Q4_K_R4"), "Q4_K_R4", "mainline");
    }

    @Test
    void imatrixOfAnotherModel() throws IOException {
        fails("tiny-deepseek", List.of("--outtype", "Q4_K_M", "--mla-layout", "mainline", "--imatrix",
                Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString()), "imatrix size", "blk.");
    }

    @Test
    void quantizeOptionsWithoutAQuantizationOuttype() throws IOException {
        fails("tiny-llama", List.of("--outtype", "bf16", "--imatrix", Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString()),
                "--imatrix", "bf16");
        fails("tiny-llama", List.of("--flavor", "ik"), "--flavor", "auto");
    }

    @Test
    void unknownFlavorAndSplitOutput() throws IOException {
        fails("tiny-llama", List.of("--outtype", "Q4_K_M", "--flavor", "gguf"), "--flavor", "gguf");
        fails("tiny-llama", List.of("--outtype", "Q4_K_M", "--split-max-size", "1M"), "--split-max-size", "Q4_K_M");
    }

    /** Q8_0 in any case is still the converter's own Q8_0 (the existing --outtype q8_0), not llama-quantize's mix. */
    @Test
    void upperCaseQ8IsTheConvertersQ8() {
        Fixtures.require();
        Path lower = tmp.resolve("lower.gguf"), upper = tmp.resolve("upper.gguf");
        String hf = Fixtures.file("tiny-llama/hf").toString();
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", lower.toString(), "--outtype", "q8_0", "--no-progress"));
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", upper.toString(), "--outtype", "Q8_0", "--no-progress"));
        assertEquals(FileHashes.sha256(lower), FileHashes.sha256(upper));
        assertTrue(GgufAssert.metadata(upper).keySet().stream().noneMatch(k -> k.startsWith("quantize.")));
    }

    /** --imatrix through the command line of both tools (the imatrix recorded under the path as given). */
    @Test
    void imatrixThroughBothCommandsGivesTheSameFile() {
        Fixtures.require();
        String hf = Fixtures.file("tiny-llama/hf").toString();
        String im = Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString();
        Path one = tmp.resolve("one.gguf"), bf16 = tmp.resolve("bf16.gguf"), two = tmp.resolve("two.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", one.toString(), "--outtype", "q4_k_m", "--imatrix", im, "--no-progress"));
        assertEquals(0, CliSupport.run(new ConvertCommand(), hf, "-o", bf16.toString(), "--outtype", "bf16", "--no-progress"));
        assertEquals(0, CliSupport.run(new QuantizeCommand(), "--imatrix", im, bf16.toString(), two.toString(), "Q4_K_M"));
        assertEquals(FileHashes.sha256(two), FileHashes.sha256(one));
        assertEquals(im, GgufAssert.metadata(one).get("quantize.imatrix.file").asString());
    }
}
