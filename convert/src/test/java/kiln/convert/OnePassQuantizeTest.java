package kiln.convert;

import kiln.tensor.testing.FileHashes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.gguf.MlaLayout;
import kiln.convert.cli.ConvertCommand;
import kiln.convert.write.OutType;
import kiln.convert.write.QuantizeSpec;
import kiln.quantize.Ftype;
import kiln.quantize.ImatrixInput;
import kiln.quantize.QuantizeCommand;
import kiln.quantize.QuantizeOptions;
import kiln.quantize.QuantizePlan;
import kiln.quantize.Quantizer;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * One-pass quantization ({@code kiln convert --outtype Q4_K_M}) writes the same bytes as converting to bf16 and then
 * {@code kiln quantize} (the equality the issue asks for), and the reference tool's quantized file of that bf16
 * conversion where the fixtures hold it (the file itself, or its sha256 in results/not_included_artifacts.json).
 */
class OnePassQuantizeTest {
    @TempDir
    static Path shared;

    /** bf16 conversions, one per (model, layout), made once for the whole class. */
    private static final Map<String, Path> BF16 = new HashMap<>();

    /**
     * @param model     fixture model folder
     * @param layout    --mla-layout (null: Llama)
     * @param type      --outtype
     * @param flavor    --flavor given to both runs, or null for the default
     * @param imatrix   fixture-relative imatrix, recorded under this name as the reference tool recorded it, or null
     * @param reference fixture-relative reference file made by llama-quantize from the reference bf16 conversion, or null
     */
    record Case(String model, String layout, String type, String flavor, String imatrix, String reference) {
        @Override
        public String toString() {
            return model + (layout == null ? "" : " " + layout + " layout") + " " + type + (flavor == null ? "" : " --flavor " + flavor)
                    + (imatrix == null ? "" : " imatrix " + imatrix);
        }
    }

    /** The checkpoint folder: {@code <model>/hf}, or the folder itself when {@code model} names one. */
    private static Path hfDir(Case c) {
        return Fixtures.file(c.model().contains("/") ? c.model() : c.model() + "/hf");
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String ds = "tiny-deepseek", ll = "tiny-llama";
        // ik layout -> ik flavour (ik_llama.cpp's llama-quantize made the references)
        for (String t : List.of("Q4_K_M", "IQ4_XS", "Q6_K", "Q4_K_R4")) c.add(new Case(ds, "ik", t, null, null, "ik/tiny-deepseek-" + t + ".gguf"));
        c.add(new Case(ds, "ik", "Q4_K_M", null, "ik/tiny-deepseek.imatrix", "ik/tiny-deepseek-Q4_K_M-imat.gguf"));
        c.add(new Case(ds, "ik", "IQ4_XS", null, "ik/tiny-deepseek.imatrix", "ik/tiny-deepseek-IQ4_XS-imat.gguf"));
        // mainline layout -> mainline flavour
        for (String t : List.of("Q4_K_M", "IQ4_XS", "Q6_K")) c.add(new Case(ds, "mainline", t, null, null, "mainline/tiny-deepseek-" + t + ".gguf"));
        c.add(new Case(ds, "mainline", "Q4_K_M", null, "mainline/tiny-deepseek.imatrix.gguf", "mainline/tiny-deepseek-Q4_K_M-imat.gguf"));
        c.add(new Case(ds, "mainline", "IQ4_XS", null, "mainline/tiny-deepseek.imatrix.gguf", "mainline/tiny-deepseek-IQ4_XS-imat.gguf"));
        c.add(new Case(ds, "mainline", "Q4_K_M", null, "ik/tiny-deepseek.imatrix", "mainline/tiny-deepseek-Q4_K_M-imat-from-ik-dat.gguf"));
        // an ik-layout file quantized with mainline's rules: no reference file, one pass must still equal two steps
        c.add(new Case(ds, "ik", "Q4_K_M", "mainline", null, null));
        // Llama -> mainline flavour; ik with --flavor ik
        for (String t : List.of("Q4_K_M", "IQ4_XS", "Q6_K")) c.add(new Case(ll, null, t, null, null, "mainline/tiny-llama-" + t + ".gguf"));
        c.add(new Case(ll, null, "Q4_K_M", null, "mainline/tiny-llama.imatrix.gguf", "mainline/tiny-llama-Q4_K_M-imat.gguf"));
        c.add(new Case(ll, null, "IQ4_XS", null, "mainline/tiny-llama.imatrix.gguf", "mainline/tiny-llama-IQ4_XS-imat.gguf"));
        c.add(new Case(ll, null, "Q4_K_M", "ik", null, "ik/tiny-llama-Q4_K_M.gguf"));
        c.add(new Case(ll, null, "Q6_K", "ik", "ik/tiny-llama.imatrix", null));
        c.add(new Case(ll, null, "IQ4_XS_R8", "ik", null, "ik/tiny-llama-IQ4_XS_R8.gguf"));
        // an FP8 checkpoint (block scales applied on the fly): no quantized reference, one pass must equal two steps
        c.add(new Case("tiny-deepseek-fp8/hf-fp8", "mainline", "Q4_K_M", null, null, null));
        c.add(new Case("tiny-deepseek-fp8/hf-fp8", "ik", "IQ4_XS", null, null, null));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> onePassEqualsTwoStepsAndTheReferenceTool() {
        Fixtures.require();
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private void check(Case c) throws Exception {
        Path one = onePass(c);
        Path two = twoSteps(c);
        String sha = FileHashes.sha256(one);
        assertEquals(FileHashes.sha256(two), sha, c + ": one pass vs convert bf16 + quantize");
        String want = referenceSha(c);
        if (want != null) assertEquals(want, sha, c + ": vs the reference tool's " + c.reference());
        try (Stream<Path> s = Files.list(one.getParent())) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left");
        }
        Files.delete(one);
        Files.delete(two);
    }

    /** kiln convert --outtype TYPE: through the command, or (with an imatrix, to record its fixture-relative name) the same options through the API. */
    private static Path onePass(Case c) throws Exception {
        Path dir = Files.createDirectories(shared.resolve("one-" + System.nanoTime()));
        Path out = dir.resolve("out.gguf");
        Path hf = hfDir(c);
        if (c.imatrix() == null) {
            List<String> a = new ArrayList<>(List.of(hf.toString(), "-o", out.toString(), "--outtype", c.type(), "--no-progress", "-t", "2"));
            if (c.layout() != null) a.addAll(List.of("--mla-layout", c.layout()));
            if (c.flavor() != null) a.addAll(List.of("--flavor", c.flavor()));
            assertEquals(0, CliSupport.run(new ConvertCommand(), a.toArray(String[]::new)), c + ": exit code");
        } else {
            QuantizeSpec q = new QuantizeSpec(c.type(), c.flavor(), Fixtures.file(c.model() + "/" + c.imatrix()), c.imatrix(), false, null, null,
                    List.of(), false);
            kiln.convert.Converter.convert(new kiln.convert.Converter.Options(hf, out, OutType.BF16,
                    c.layout() == null ? MlaLayout.IK : MlaLayout.parse(c.layout()), false, null, 0, 2, false, q, false));
        }
        return out;
    }

    /** kiln convert --outtype bf16, then kiln quantize (the command, or with an imatrix its library calls with the same label). */
    private static Path twoSteps(Case c) throws Exception {
        Path bf16 = bf16(c);
        Path out = shared.resolve("two-" + System.nanoTime() + ".gguf");
        if (c.imatrix() == null) {
            List<String> a = new ArrayList<>();
            if (c.flavor() != null) a.addAll(List.of("--flavor", c.flavor()));
            a.addAll(List.of(bf16.toString(), out.toString(), c.type(), "2"));
            assertEquals(0, CliSupport.run(new QuantizeCommand(), a.toArray(String[]::new)), c + ": kiln quantize exit code");
        } else {
            try (GgufFile in = GgufFile.open(bf16)) {
                Flavor fl = c.flavor() == null ? QuantizeCommand.defaultFlavor(in) : c.flavor().equals("ik") ? Flavor.IK : Flavor.MAINLINE;
                ImatrixInput im = ImatrixInput.load(Fixtures.file(c.model() + "/" + c.imatrix()), c.imatrix(), List.of(), List.of(), fl);
                QuantizeOptions opts = new QuantizeOptions(fl, Ftype.parse(c.type(), fl), false, null, null, List.of(), false, false, 2);
                QuantizePlan plan = QuantizePlan.build(in.metadata(), in.tensors(), opts, im, false);
                Quantizer.run(in, plan, out, new Progress("quantize", plan.items().size(), in.tensorBytes(), false, System.err));
            }
        }
        return out;
    }

    private static synchronized Path bf16(Case c) {
        return BF16.computeIfAbsent(c.model() + "-" + c.layout(), k -> {
            Path out = shared.resolve("bf16-" + k.replace('/', '_') + ".gguf");
            List<String> a = new ArrayList<>(List.of(hfDir(c).toString(), "-o", out.toString(), "--outtype", "bf16",
                    "--no-progress"));
            if (c.layout() != null) a.addAll(List.of("--mla-layout", c.layout()));
            assertEquals(0, CliSupport.run(new ConvertCommand(), a.toArray(String[]::new)));
            return out;
        });
    }

    /** The reference file's sha256, or the one recorded for a file the fixtures did not keep; null when there is neither. */
    private static String referenceSha(Case c) throws Exception {
        if (c.reference() == null) return null;
        Path dir = Fixtures.file(c.model());
        Path ref = dir.resolve(c.reference());
        if (Files.exists(ref)) return FileHashes.sha256(ref);
        JsonNode arr = new ObjectMapper().readTree(dir.resolve("results/not_included_artifacts.json").toFile());
        for (JsonNode n : arr) if (n.get("file").asText().equals(c.reference())) return n.get("sha256").asText();
        throw new AssertionError("no reference file or recorded sha256 for " + c.reference());
    }
}
