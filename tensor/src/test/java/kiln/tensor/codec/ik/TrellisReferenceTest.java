package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden tests of the trellis types against ik_llama.cpp's llama-quantize output on tiny-deepseek and tiny-llama,
 * with and without the fixtures' imatrix ({@code trellis-reference.sha256}), and of Kiln's dequantization of ik's
 * bytes against ik's ({@code trellis-dequant-reference.sha256}); the headers say how the references were made.
 *
 * <p>ik's quantized files are not in the repository. The dequantization cases take ik's bytes from Kiln's own
 * quantization once it equals ik's (checked against the first list), or, with {@code -Dkiln.trellis.ikFiles=DIR},
 * from ik's files {@code DIR/MODEL-TYPE-imat.gguf}. A type Kiln cannot quantize yet is reported as skipped.
 */
class TrellisReferenceTest {

    record Case(String model, GgmlType type, boolean imatrix, String tensor, String sha256) {}

    record DequantCase(String model, GgmlType type, String tensor, String sha256) {}

    static List<Case> cases() throws IOException {
        return cases("trellis-reference.sha256");
    }

    /** The cases of a list in this format (model, type, imatrix or -, tensor, sha256). */
    static List<Case> cases(String resource) throws IOException {
        List<Case> cases = new ArrayList<>();
        for (String[] f : IqkReferenceTest.lines(resource)) {
            cases.add(new Case(f[0], GgmlType.valueOf(f[1]), f[2].equals("imatrix"), f[3], f[4]));
        }
        return cases;
    }

    static List<DequantCase> dequantCases() throws IOException {
        return dequantCases("trellis-dequant-reference.sha256");
    }

    static List<DequantCase> dequantCases(String resource) throws IOException {
        List<DequantCase> cases = new ArrayList<>();
        for (String[] f : IqkReferenceTest.lines(resource)) cases.add(new DequantCase(f[0], GgmlType.valueOf(f[1]), f[2], f[3]));
        return cases;
    }

    /** {@code -Dkiln.trellis.types=IQ4_KT,...} limits the golden cases to those types (a quicker run while working on one). */
    private static boolean selected(GgmlType t) {
        String only = System.getProperty("kiln.trellis.types");
        return only == null || only.isBlank() || List.of(only.split(",")).contains(t.name());
    }

    /** Kiln's quantization of a tensor, kept for the dequantization case of the same tensor. */
    private static final java.util.Map<String, byte[]> QUANTIZED = new java.util.concurrent.ConcurrentHashMap<>();

    private static byte[] quantizeOnce(String model, String tensor, GgmlType type, boolean imatrix) throws IOException {
        String key = model + " " + type + " " + imatrix + " " + tensor;
        byte[] b = QUANTIZED.get(key);
        if (b == null) QUANTIZED.put(key, b = IqkReferenceTest.quantize(model, tensor, type, imatrix));
        return b;
    }

    @TestFactory
    List<DynamicTest> everyTensorMatchesIksQuantizer() throws IOException {
        return quantizationTests(cases());
    }

    @TestFactory
    List<DynamicTest> dequantizationMatchesIks() throws IOException {
        return dequantizationTests(cases(), dequantCases(), "-imat");
    }

    /** Kiln's quantization of each listed tensor against ik's sha256. */
    static List<DynamicTest> quantizationTests(List<Case> cases) {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            if (!selected(c.type())) continue;
            tests.add(DynamicTest.dynamicTest(c.model() + " " + c.type() + (c.imatrix() ? " (imatrix) " : " ") + c.tensor(), () -> {
                assumeQuantizable(c.type());
                assertEquals(c.sha256(), IkBuildReferenceTest.sha256(quantizeOnce(c.model(), c.tensor(), c.type(), c.imatrix())),
                        c.model() + " " + c.type() + " " + c.tensor());
            }));
        }
        return tests;
    }

    /**
     * Kiln's dequantization of ik's bytes of each listed tensor (those of its imatrix case; from ik's file
     * {@code DIR/MODEL-TYPE<fileSuffix>.gguf} with {@code -Dkiln.trellis.ikFiles=DIR}) against ik's f32 sha256.
     */
    static List<DynamicTest> dequantizationTests(List<Case> quantized, List<DequantCase> dequant, String fileSuffix) {
        List<DynamicTest> tests = new ArrayList<>();
        for (DequantCase c : dequant) {
            if (!selected(c.type())) continue;
            Case q = quantized.stream().filter(k -> k.model().equals(c.model()) && k.type() == c.type() && k.imatrix()
                    && k.tensor().equals(c.tensor())).findFirst().orElseThrow();
            tests.add(DynamicTest.dynamicTest(c.model() + " " + c.type() + " " + c.tensor(), () -> {
                byte[] bytes = iksBytes(c, fileSuffix);
                assertEquals(q.sha256(), IkBuildReferenceTest.sha256(bytes), "the quantized input differs from ik's");
                assertEquals(c.sha256(), IkBuildReferenceTest.sha256(IqkReferenceTest.dequantize(c.type(), bytes,
                        IqkReferenceTest.rowLength(c.model(), c.tensor()))), "dequantized " + c.tensor());
            }));
        }
        return tests;
    }

    @Test
    void everyTrellisTypeIsListedBothWaysOnBothModels() throws IOException {
        List<Case> cases = cases();
        List<DequantCase> dequant = dequantCases();
        for (GgmlType t : TrellisSyntheticRows.TYPES) {
            for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && !c.imatrix()), t + " " + model);
                assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && c.imatrix()), t + " " + model);
                assertTrue(dequant.stream().anyMatch(c -> c.type() == t && c.model().equals(model)), t + " " + model);
            }
        }
    }

    /** ik's bytes of the tensor: from ik's file when {@code kiln.trellis.ikFiles} names their folder, else Kiln's quantization. */
    private static byte[] iksBytes(DequantCase c, String fileSuffix) throws IOException {
        String dir = System.getProperty("kiln.trellis.ikFiles");
        if (dir == null || dir.isBlank()) {
            assumeQuantizable(c.type());
            return quantizeOnce(c.model(), c.tensor(), c.type(), true);
        }
        Path file = Path.of(dir, c.model() + "-" + c.type() + fileSuffix + ".gguf");
        Assumptions.assumeTrue(Files.exists(file), "ik's file missing: " + file);
        Fixtures.require();
        try (GgufFile in = GgufFile.open(file)) {
            return in.data(c.tensor()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void assumeQuantizable(GgmlType type) {
        RowCodec codec = Codecs.require(type, Flavor.IK);
        Assumptions.assumeTrue(codec.canQuantize(), "Kiln cannot quantize to " + type + " yet");
    }
}
