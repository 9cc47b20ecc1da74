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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden tests of Kiln's IQ3_XXS, IQ3_S, IQ1_S and IQ1_M quantizers against each tool's llama-quantize output on
 * tiny-deepseek and tiny-llama, with and without the fixtures' imatrix where the tool allows it: every tensor of
 * those types, by SHA-256 ({@code iq3-reference.sha256}, {@code iq1-reference.sha256}); and the decoders against
 * llama-quantize's dequantization to F32 ({@code iq3-iq1-dequant-reference.sha256}). The headers of the files say
 * how they were made.
 */
class Iq3Iq1ReferenceTest {

    private static final List<GgmlType> TYPES = List.of(GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M);

    @TestFactory
    List<DynamicTest> iq3TensorsMatchTheTools() throws IOException {
        return hashTests("iq3-reference.sha256");
    }

    @TestFactory
    List<DynamicTest> iq1TensorsMatchTheTools() throws IOException {
        return hashTests("iq1-reference.sha256");
    }

    private static List<DynamicTest> hashTests(String resource) throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (GridReferenceFiles.Case c : GridReferenceFiles.cases(resource)) {
            tests.add(DynamicTest.dynamicTest(c.name(),
                    () -> assertEquals(c.sha256(), GridReferenceFiles.sha256(GridReferenceFiles.quantize(c)), c.name())));
        }
        return tests;
    }

    /** Kiln's decoding of the tool's bytes (Kiln's quantization of the tensor, equal to the tool's by its hash). */
    @TestFactory
    List<DynamicTest> dequantizationMatchesTheTools() throws IOException {
        List<GridReferenceFiles.Case> quantized = new ArrayList<>(GridReferenceFiles.cases("iq3-reference.sha256"));
        quantized.addAll(GridReferenceFiles.cases("iq1-reference.sha256"));
        List<DynamicTest> tests = new ArrayList<>();
        for (GridReferenceFiles.Case d : GridReferenceFiles.cases("iq3-iq1-dequant-reference.sha256")) {
            GridReferenceFiles.Case q = quantized.stream().filter(c -> c.flavor() == d.flavor() && c.model().equals(d.model())
                    && c.type() == d.type() && c.imatrix() == d.imatrix() && c.tensor().equals(d.tensor())).findFirst().orElseThrow();
            tests.add(DynamicTest.dynamicTest(d.name(), () -> {
                byte[] bytes = GridReferenceFiles.quantize(q);
                assertEquals(q.sha256(), GridReferenceFiles.sha256(bytes), "the quantized input differs from the tool's");
                assertEquals(d.sha256(), GridReferenceFiles.sha256(GridReferenceFiles.dequantize(d.type(), bytes, GridReferenceFiles.rowLength(d))),
                        "dequantized " + d.name());
            }));
        }
        return tests;
    }

    /**
     * Each type is checked for both tools with an imatrix, without one where the tool allows it (mainline refuses
     * IQ3_XXS, IQ1_S and IQ1_M without one, ik IQ1_S), and decoded once on each model; both flavours quantize it.
     */
    @Test
    void everyTypeIsCoveredForBothTools() throws IOException {
        List<GridReferenceFiles.Case> cases = new ArrayList<>(GridReferenceFiles.cases("iq3-reference.sha256"));
        cases.addAll(GridReferenceFiles.cases("iq1-reference.sha256"));
        List<GridReferenceFiles.Case> dequant = GridReferenceFiles.cases("iq3-iq1-dequant-reference.sha256");
        for (GgmlType t : TYPES) {
            for (Flavor f : Flavor.values()) {
                for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                    assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.flavor() == f && c.model().equals(model) && c.imatrix()),
                            t + " " + f + " " + model + " with imatrix");
                    boolean toolAllowsNoImatrix = t == GgmlType.IQ3_S || (f == Flavor.IK && t != GgmlType.IQ1_S);
                    if (toolAllowsNoImatrix) {
                        assertTrue(cases.stream().anyMatch(c -> c.type() == t && c.flavor() == f && c.model().equals(model) && !c.imatrix()),
                                t + " " + f + " " + model + " without imatrix");
                    }
                    assertTrue(dequant.stream().anyMatch(c -> c.type() == t && c.model().equals(model)), t + " " + model + " dequantized");
                }
                RowCodec codec = Codecs.require(t, f);
                assertTrue(codec.canQuantize(), t + " " + f);
                assertEquals(t == GgmlType.IQ1_S, codec.requiresImatrix(), t + " requires an imatrix");
            }
        }
    }
}
