package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kiln quantize --flavor ik} on bad input: one line naming what was expected, exit code 2, nothing written —
 * including where ik's llama-quantize aborts ({@code GGML_ASSERT(imatrix != NULL)}, recorded: tiny-llama IQ2_XXS with
 * --ignore-imatrix-rules and no imatrix aborts at blk.0.ffn_down.weight, leaving a truncated file).
 */
class IkQuantizeBadInputTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    private Result run(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        picocli.CommandLine cl = CliSupport.configure(new picocli.CommandLine(cmd));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString());
    }

    /** Exit 2, one line on stderr containing {@code want}, no output and no temporary file. */
    private void assertRefused(Result r, String want, Path out) throws Exception {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(want), r.err());
        assertFalse(Files.exists(out), out + " must not exist");
        try (var s = Files.list(out.getParent())) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "temporary files left");
        }
    }

    private static String llama() {
        return Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString();
    }

    @Test
    void unknownFtypeListsIksNames() throws Exception {
        Path out = tmp.resolve("o.gguf");
        Result r = run("--flavor", "ik", llama(), out.toString(), "IQ9_Z");
        assertRefused(r, "unknown quantization type 'IQ9_Z' for ik", out);
        assertTrue(r.err().contains("IQ1_S_R4") && r.err().contains("IQ2_KT") && r.err().contains("COPY"), r.err());
    }

    @Test
    void veryLowBitTensorWithoutImportanceDataIsIksOneLine() throws Exception {
        // ik (ik-type-choice/tiny-llama.txt): IQ2_M without imatrix fails on the first IQ2_S tensor
        Path out = tmp.resolve("o.gguf");
        assertRefused(run("--flavor", "ik", llama(), out.toString(), "IQ2_M"),
                "Missing importance matrix for tensor blk.0.ffn_down.weight in a very low-bit quantization", out);
        assertRefused(run("--flavor", "ik", "--dry-run", llama(), out.toString(), "IQ2_M"),
                "Missing importance matrix for tensor blk.0.ffn_down.weight", out);
        // and the mixes ik's driver refuses before it starts, the _R4 forms included
        assertRefused(run("--flavor", "ik", llama(), out.toString(), "IQ1_S_R4"),
                "Please do not use IQ1_S, IQ1_M, IQ2_S, IQ2_XXS, IQ2_XS or Q2_K_S quantization without an importance matrix", out);
    }

    @Test
    void ignoreImatrixRulesPlansButRefusesWhereIkAborts() throws Exception {
        Path out = tmp.resolve("o.gguf");
        Result dry = run("--flavor", "ik", "--ignore-imatrix-rules", "--dry-run", llama(), out.toString(), "IQ2_XXS");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("blk.0.ffn_down.weight") && dry.out().contains("iq2_xxs"), dry.out());
        assertRefused(run("--flavor", "ik", "--ignore-imatrix-rules", llama(), out.toString(), "IQ2_XXS"),
                "tensor blk.0.ffn_down.weight: quantizing to iq2_xxs needs importance weights", out);
        // IQ2_S's default type is IQ2_XS: ik aborts there too
        assertRefused(run("--flavor", "ik", "--ignore-imatrix-rules", llama(), out.toString(), "IQ2_S"),
                "tensor blk.0.ffn_down.weight: quantizing to iq2_xs needs importance weights", out);
    }

    @Test
    void typeWithoutCodecIsPlannedAndRefusedAtWriteTime() throws Exception {
        Assumptions.assumeTrue(Codecs.find(GgmlType.IQ1_BN, Flavor.IK) == null, "Kiln has an IQ1_BN codec now");
        Path out = tmp.resolve("o.gguf");
        Result dry = run("--flavor", "ik", "--dry-run", llama(), out.toString(), "IQ1_BN");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("iq1_bn:"), dry.out());
        assertRefused(run("--flavor", "ik", llama(), out.toString(), "IQ1_BN"), "Kiln cannot quantize to iq1_bn", out);
    }

    @Test
    void unsupportedAndMisplacedOptions() throws Exception {
        Path out = tmp.resolve("o.gguf");
        assertRefused(run("--flavor", "ik", "--keep-split", "--partial-requant", llama(), out.toString(), "Q4_K_M"),
                "--partial-requant is not supported", out);
        assertRefused(run("--flavor", "mainline", "--keep-split", llama(), out.toString(), "Q4_K_M"),
                "--keep-split: ik_llama.cpp's option, not llama.cpp's: add --flavor ik", out);
        assertRefused(run("--flavor", "ik", "--repack", llama(), out.toString(), "Q4_K_M"), "kiln repack", out);
        assertRefused(run("--flavor", "ik", "--extra-output-tensor", "q4_K", llama(), out.toString(), "Q4_K_M"),
                "--extra-output-tensor is not supported", out);
        assertRefused(run("--flavor", "mainline", "--attn-q-type", "q8_0", llama(), out.toString(), "Q4_K_M"),
                "--attn-q-type: ik_llama.cpp's option, not llama.cpp's: add --flavor ik", out);
        assertRefused(run("--flavor", "ik", "--ffn-down-type", "q9_9", llama(), out.toString(), "Q4_K_M"), "invalid ggml type 'q9_9'", out);
        Result dry = run("--flavor", "ik", "--symmetric-q40", "--dry-run", llama(), out.toString(), "Q4_0");
        assertEquals(0, dry.code(), dry.err());
        assertRefused(run("--flavor", "ik", "--symmetric-q40", llama(), out.toString(), "Q4_0"),
                "--symmetric-q40 is accepted with --dry-run only", out);
    }
}
