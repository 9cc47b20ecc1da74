package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden tests of ik's own IQ*_K types against ik_llama.cpp's llama-quantize output on tiny-deepseek and tiny-llama,
 * with and without the fixtures' imatrix ({@code iqk-reference.sha256}: every quantized tensor of the {@code --pure}
 * files), and of their dequantization against ik's ({@code iqk-dequant-reference.sha256}). The headers of both files
 * say how the references were made.
 */
class IqkReferenceTest {

    record Case(String model, GgmlType type, boolean imatrix, String tensor, String sha256) {}

    record DequantCase(String model, GgmlType type, String tensor, String sha256) {}

    /** The bf16 input and the ik imatrix of each fixture model. */
    private static String source(String model) {
        return switch (model) {
            case "tiny-deepseek" -> "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";
            case "tiny-llama" -> "tiny-llama/mainline/tiny-llama-bf16.gguf";
            default -> throw new IllegalArgumentException(model);
        };
    }

    private static String imatrix(String model) {
        return model + "/ik/" + model + ".imatrix";
    }

    static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        for (String[] f : lines("iqk-reference.sha256")) {
            cases.add(new Case(f[0], GgmlType.valueOf(f[1]), f[2].equals("imatrix"), f[3], f[4]));
        }
        return cases;
    }

    static List<DequantCase> dequantCases() throws IOException {
        List<DequantCase> cases = new ArrayList<>();
        for (String[] f : lines("iqk-dequant-reference.sha256")) cases.add(new DequantCase(f[0], GgmlType.valueOf(f[1]), f[2], f[3]));
        return cases;
    }

    @TestFactory
    List<DynamicTest> everyTensorMatchesIksQuantizer() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.model() + " " + c.type() + (c.imatrix() ? " (imatrix) " : " ") + c.tensor(),
                    () -> assertEquals(c.sha256(), IkBuildReferenceTest.sha256(quantize(c.model(), c.tensor(), c.type(), c.imatrix())),
                            c.model() + " " + c.type() + " " + c.tensor())));
        }
        return tests;
    }

    /** Kiln's dequantization of ik's bytes (Kiln's quantization of the tensor, equal to ik's by the hashes above). */
    @TestFactory
    List<DynamicTest> dequantizationMatchesIks() throws IOException {
        List<Case> quantized = cases();
        List<DynamicTest> tests = new ArrayList<>();
        for (DequantCase c : dequantCases()) {
            Case q = quantized.stream().filter(k -> k.model().equals(c.model()) && k.type() == c.type() && k.imatrix()
                    && k.tensor().equals(c.tensor())).findFirst().orElseThrow();
            tests.add(DynamicTest.dynamicTest(c.model() + " " + c.type() + " " + c.tensor(), () -> {
                byte[] bytes = quantize(c.model(), c.tensor(), c.type(), true);
                assertEquals(q.sha256(), IkBuildReferenceTest.sha256(bytes), "the quantized input differs from ik's");
                assertEquals(c.sha256(), IkBuildReferenceTest.sha256(dequantize(c.type(), bytes, rowLength(c.model(), c.tensor()))),
                        "dequantized " + c.tensor());
            }));
        }
        return tests;
    }

    /** Every IQ*_K type here is checked with and without weights, and its dequantization on its own. */
    @Test
    void everyListedTypeIsCoveredBothWays() throws IOException {
        List<Case> cases = cases();
        List<DequantCase> dequant = dequantCases();
        for (GgmlType t : List.of(GgmlType.IQ2_K, GgmlType.IQ3_K, GgmlType.IQ4_K, GgmlType.IQ6_K, GgmlType.IQ4_KS, GgmlType.IQ5_KS, GgmlType.IQ3_KS,
                GgmlType.IQ4_KSS, GgmlType.IQ2_KL, GgmlType.IQ2_KS)) {
            for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && !c.imatrix()), t + " " + model);
                assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && c.imatrix()), t + " " + model);
                assertTrue(dequant.stream().anyMatch(c -> c.type() == t && c.model().equals(model)), t + " " + model);
            }
            RowCodec codec = Codecs.require(t, Flavor.IK);
            assertFalse(Codecs.find(t, Flavor.MAINLINE) != null, t + " is not a mainline type");
            assertTrue(codec.canQuantize(), t.toString());
        }
    }

    static byte[] quantize(String model, String tensor, GgmlType type, boolean withImatrix) throws IOException {
        IkImatrix imat = withImatrix ? IkImatrix.read(Fixtures.file(imatrix(model))) : null;
        try (GgufFile in = GgufFile.open(Fixtures.file(source(model)))) {
            TensorInfo t = in.tensor(tensor);
            float[] w = imat == null ? null : imat.lookup(t.name(), t.dim(0) * (t.nDims() > 2 ? t.dim(2) : 1));
            return IkBuildReferenceTest.quantize(in, t, type, w);
        }
    }

    static int rowLength(String model, String tensor) {
        try (GgufFile in = GgufFile.open(Fixtures.file(source(model)))) {
            return Math.toIntExact(in.tensor(tensor).dim(0));
        }
    }

    /**
     * Row by row, as llama-quantize's dequantization calls it (a type with a row scale needs whole rows), into the
     * little-endian f32 bytes the reference hashes cover.
     */
    static byte[] dequantize(GgmlType type, byte[] bytes, int ne0) {
        RowCodec codec = Codecs.find(type);
        long rowBytes = type.rowSize(ne0);
        int rows = Math.toIntExact(bytes.length / rowBytes), n = rows * ne0;
        float[] y = new float[n];
        for (int r = 0; r < rows; r++) codec.dequantize(MemorySegment.ofArray(bytes), r * rowBytes, y, r * ne0, ne0);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putFloat(v);
        return b.array();
    }

    static List<String[]> lines(String resource) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                IqkReferenceTest.class.getResourceAsStream(resource)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) out.add(line.trim().split("\\s+"));
            }
        }
        return out;
    }
}
