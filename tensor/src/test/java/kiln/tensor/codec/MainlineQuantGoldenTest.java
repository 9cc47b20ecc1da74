package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden test: every tensor that llama-quantize (mainline) quantized in a kept fixture file is re-quantized from
 * the bf16 fixture with Kiln's codec (and the fixture imatrix where the file was made with one) and must be
 * byte-identical. Tensor types are read from the quantized file; a tensor is a case when its name is in both files
 * and its type differs from the bf16 source.
 */
class MainlineQuantGoldenTest {

    private static final String DS = "tiny-deepseek/mainline/";

    @TestFactory
    List<DynamicTest> deepseekQ4KM() {
        return cases(DS + "tiny-deepseek-bf16.gguf", DS + "tiny-deepseek-Q4_K_M.gguf", null);
    }

    @TestFactory
    List<DynamicTest> deepseekQ4KMWithImatrix() {
        return cases(DS + "tiny-deepseek-bf16.gguf", DS + "tiny-deepseek-Q4_K_M-imat.gguf", DS + "tiny-deepseek.imatrix.gguf");
    }

    @TestFactory
    List<DynamicTest> deepseekIq4Xs() {
        return cases(DS + "tiny-deepseek-bf16.gguf", DS + "tiny-deepseek-IQ4_XS.gguf", null);
    }

    /** ik's Q8_0 bytes equal mainline's for every tensor both files hold (MANIFEST, ik_vs_mainline_tensors.json). */
    @TestFactory
    List<DynamicTest> deepseekQ80FromIkFile() {
        return cases("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf", null);
    }

    /** The kept files exercise these types; fails if a fixture update silently drops one. */
    @Test
    void keptFixturesCoverTheExpectedTypes() {
        Set<GgmlType> covered = EnumSet.noneOf(GgmlType.class);
        for (String f : List.of(DS + "tiny-deepseek-Q4_K_M.gguf", DS + "tiny-deepseek-IQ4_XS.gguf",
                "tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf")) {
            try (GgufFile q = GgufFile.open(Fixtures.file(f))) {
                for (TensorInfo t : q.tensors()) covered.add(t.type());
            }
        }
        assertTrue(covered.containsAll(EnumSet.of(GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q5_0,
                GgmlType.IQ4_XS, GgmlType.IQ4_NL, GgmlType.Q8_0)), "covered: " + covered);
    }

    private static List<DynamicTest> cases(String source, String quantized, String imatrix) {
        Path src = Fixtures.file(source), dst = Fixtures.file(quantized);
        Map<String, float[]> imat = imatrix == null ? Map.of() : FixtureQuant.loadImatrix(Fixtures.file(imatrix));
        List<DynamicTest> tests = new ArrayList<>();
        try (GgufFile in = GgufFile.open(src); GgufFile out = GgufFile.open(dst)) {
            for (TensorInfo t : out.tensors()) {
                if (!in.hasTensor(t.name())) continue;
                TensorInfo s = in.tensor(t.name());
                if (s.type() == t.type() || !t.type().isQuantized()) continue;
                float[] w = imat.get(t.name());
                String name = t.name() + " " + s.type() + "->" + t.type() + (w != null ? " (imatrix)" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> check(src, dst, t.name(), w)));
            }
        }
        assertTrue(!tests.isEmpty(), "no test cases in " + quantized);
        return tests;
    }

    private static void check(Path src, Path dst, String tensor, float[] imatrix) {
        try (GgufFile in = GgufFile.open(src); GgufFile out = GgufFile.open(dst)) {
            TensorInfo s = in.tensor(tensor), t = out.tensor(tensor);
            assertEquals(s.dim(0) * s.dim(1) * s.dim(2), t.dim(0) * t.dim(1) * t.dim(2));
            if (imatrix != null) assertEquals(s.dim(0) * s.dim(2), imatrix.length, "imatrix length of " + tensor);
            byte[] actual = FixtureQuant.quantizeTensor(in, s, t.type(), imatrix);
            byte[] expected = FixtureQuant.bytes(out, t);
            assertNull(FixtureQuant.firstDifference(expected, actual, t.rowSize(), t.type().typeSize()),
                    tensor + " (" + t.type() + ")");
        }
    }
}
