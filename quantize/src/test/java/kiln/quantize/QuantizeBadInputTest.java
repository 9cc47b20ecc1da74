package kiln.quantize;

import kiln.tensor.cli.CliSupport;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.imatrix.ImatrixFormat;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gives exit code 2, one line naming the file/tensor and what was expected, and no output file. */
class QuantizeBadInputTest {
    @TempDir
    Path tmp;

    record Result(int code, String err) {}

    private Result run(String... args) {
        StringWriter err = new StringWriter();
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(new ByteArrayOutputStream());
        picocli.CommandLine cl = CliSupport.configure(new picocli.CommandLine(cmd));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, err.toString());
    }

    private void assertNoOutput(Path out) throws Exception {
        assertFalse(Files.exists(out), out + " must not exist");
        try (var s = Files.list(out.getParent())) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "temporary files left");
        }
    }

    @Test
    void unknownTypeName() throws Exception {
        Path in = Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run(in.toString(), out.toString(), "Q4_K_X");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown quantization type 'Q4_K_X'"), r.err());
        assertNoOutput(out);
        Result ik = run("--flavor", "mainline", in.toString(), out.toString(), "IQ2_K");
        assertEquals(2, ik.code());
        assertTrue(ik.err().contains("'IQ2_K' is ik_llama.cpp's, not llama.cpp's: add --flavor ik"), ik.err());
        assertNoOutput(out);
        Result r2 = run("--tensor-type", "ffn_down=q9_9", in.toString(), out.toString(), "Q4_K_M");
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("q9_9"), r2.err());
    }

    @Test
    void imatrixOfAnotherModelNamesTheTensorWithTheWrongSize() throws Exception {
        // mainline: tiny-llama's imatrix on tiny-deepseek — blk.0.ffn_down has 768 values there, 512 columns here
        Path in = Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run("--imatrix", Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString(), in.toString(), out.toString(), "Q4_K_M");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("imatrix size 768 is different from tensor size 512 for blk.0.ffn_down.weight"), r.err());
        assertNoOutput(out);
    }

    @Test
    void ikRejectsMainlinesDatFileAsIkDoes() throws Exception {
        // the fixture run quantize-ik-Q4_K_M-imat-from-mainline-dat failed with exactly this message
        Path in = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run("--imatrix", Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.dat").toString(), in.toString(), out.toString(), "Q4_K_M");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("imatrix size 1024 is different from tensor size 256 for blk.0.attn_kv_b.weight"), r.err());
        assertNoOutput(out);
    }

    @Test
    void missingEntriesAreQuantizedWithoutWeightsAsLlamaQuantizeDoes() {
        // an imatrix that covers only one tensor: the others are quantized without weights, no error
        Imatrix one = Imatrix.of(List.of(new ImatrixEntry("blk.0.ffn_up.weight", new float[256], new float[]{1})), List.of("x.txt"), 3, 0, true);
        Path f = tmp.resolve("one.imatrix");
        ImatrixFiles.write(one, f, ImatrixFormat.DAT, 0);
        Path in = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        Result r = run("--dry-run", "--imatrix", f.toString(), in.toString(), tmp.resolve("o.gguf").toString(), "Q4_K_M");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void alreadyQuantizedInputNeedsAllowRequantize() throws Exception {
        Path in = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run(in.toString(), out.toString(), "Q4_0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("requantizing from type q8_0 is disabled") && r.err().contains("--allow-requantize"), r.err());
        assertNoOutput(out);
        Result ok = run("--allow-requantize", in.toString(), out.toString(), "Q4_0", "2");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void typesThatNeedAnImatrixRefuseWithoutOne() throws Exception {
        Path in = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run(in.toString(), out.toString(), "IQ2_XXS");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("without an importance matrix"), r.err());
        // a --tensor-type rule that asks for a very-low-bit type is caught per tensor
        Result r2 = run("--tensor-type", "ffn_down=iq2_xxs", in.toString(), out.toString(), "Q4_K_M");
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("requires an imatrix") && r2.err().contains("blk.0.ffn_down.weight"), r2.err());
        assertNoOutput(out);
    }

    /** ik's tiny-deepseek imatrix has no attn_v_b entry: the tensor is named, with what to do (ik refuses the same). */
    @Test
    void aVeryLowBitTensorWithoutImatrixEntryIsNamed() throws Exception {
        Path in = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path out = tmp.resolve("o.gguf");
        Result r = run("--flavor", "ik", "--imatrix", Fixtures.file("tiny-deepseek/ik/tiny-deepseek.imatrix").toString(),
                in.toString(), out.toString(), "IQ2_XXS");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing importance matrix for tensor blk.0.attn_v_b.weight") && r.err().contains("no entry for it")
                && r.err().contains("--custom-q"), r.err());
        assertNoOutput(out);
        // without any imatrix (ik's IQ2_M: no ftype-level refusal, the IQ2_S tensors are refused one by one)
        Result none = run("--flavor", "ik", in.toString(), out.toString(), "IQ2_M");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("Missing importance matrix for tensor") && none.err().contains("pass --imatrix FILE"), none.err());
        assertNoOutput(out);
    }

    @Test
    void includeAndExcludeWeightsCannotBeCombined() {
        Path in = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        Result r = run("--imatrix", Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf").toString(), "--include-weights", "ffn",
                "--exclude-weights", "attn", in.toString(), tmp.resolve("o.gguf").toString(), "Q4_K_M");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cannot be used together"), r.err());
    }

    @Test
    void missingInputAndBadFlavor() {
        Result r = run(tmp.resolve("nope.gguf").toString(), tmp.resolve("o.gguf").toString(), "Q4_0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.gguf"), r.err());
        Result r2 = run("--flavor", "exllama", Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(), tmp.resolve("o.gguf").toString(), "Q4_0");
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("unknown flavor 'exllama'"), r2.err());
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws Exception {
        kiln.tensor.gguf.GgufMetadata md = new kiln.tensor.gguf.GgufMetadata();
        md.put("general.architecture", kiln.tensor.gguf.GgufValue.ofString("llama"));
        md.put("llama.block_count", kiln.tensor.gguf.GgufValue.ofU32(1));
        Path in = tmp.resolve("nan.gguf");
        var layout = new kiln.tensor.gguf.GgufLayout(md, List.of(new kiln.tensor.gguf.GgufLayout.Entry("blk.0.ffn_up.weight",
                kiln.tensor.GgmlType.F32, new long[]{256, 2})));
        try (var o = kiln.tensor.gguf.GgufOutput.create(in, layout)) {
            var seg = java.lang.foreign.MemorySegment.ofArray(new byte[256 * 2 * 4]);
            kiln.tensor.LittleEndian.putF32(seg, 4L * 300, Float.NaN);
            o.write(0, seg);
            o.commit();
        }
        Path out = tmp.resolve("o.gguf");
        Result r = run(in.toString(), out.toString(), "Q8_0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("blk.0.ffn_up.weight row 1 column 44 is NaN"), r.err());
        assertNoOutput(out);
    }

    /**
     * Disk full, simulated with a file-size limit on a child JVM (ulimit -f; the JVM ignores SIGXFSZ, so the write
     * fails with EFBIG like a full disk): the command fails with a one-line error and removes its temporary file.
     */
    @Test
    void failingWriteRemovesTheTemporaryFile() throws Exception {
        Path bash = Path.of("/bin/bash");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(bash), "needs /bin/bash for ulimit");
        Path in = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        Path out = tmp.resolve("full.gguf");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        String cmd = "ulimit -f 512; exec '" + java + "' --add-modules jdk.incubator.vector -cp '" + cp + "' " + QuantizeMain.class.getName() + " '" + in + "' '" + out + "' Q8_0 1";
        Process p = new ProcessBuilder(bash.toString(), "-c", cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertTrue(p.exitValue() != 0, text);
        assertTrue(text.contains("full.gguf") && text.contains("write failed"), text);
        assertNoOutput(out);
    }
}
