package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden test of Kiln's IQ1_S_R4 and IQ1_M_R4 quantizers against ik_llama.cpp's llama-quantize on tiny-llama and
 * tiny-deepseek, with and without the fixtures' imatrix: every tensor of those types by SHA-256
 * ({@code iq1-r4-reference.sha256}, whose header says how it was made), quantized a group of 4 rows at a time as ik
 * does. Skipped when the fixtures are absent.
 */
class Iq1R4ReferenceTest {

    private static final String RESOURCE = "iq1-r4-reference.sha256";

    @TestFactory
    List<DynamicTest> tensorsMatchIk() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (GridReferenceFiles.Case c : GridReferenceFiles.cases(RESOURCE)) {
            tests.add(DynamicTest.dynamicTest(c.name(),
                    () -> assertEquals(c.sha256(), GridReferenceFiles.sha256(GridReferenceFiles.quantize(c)), c.name())));
        }
        return tests;
    }

    /** Both types, both models, with and without an imatrix; ik only, and no imatrix is required by the codec. */
    @Test
    void everyTypeIsCovered() throws IOException {
        List<GridReferenceFiles.Case> cases = GridReferenceFiles.cases(RESOURCE);
        for (GgmlType t : List.of(GgmlType.IQ1_S_R4, GgmlType.IQ1_M_R4)) {
            for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                for (boolean imatrix : List.of(true, false)) {
                    assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && c.imatrix() == imatrix),
                            t + " " + model + (imatrix ? " with" : " without") + " imatrix");
                }
            }
            RowCodec codec = Codecs.require(t, Flavor.IK);
            assertTrue(codec.canQuantize(), t + " quantizes");
            assertFalse(codec.requiresImatrix(), t + ": ggml_quantize_requires_imatrix is false");
            assertNull(Codecs.find(t, Flavor.MAINLINE), t + " is ik's only");
        }
    }
}
