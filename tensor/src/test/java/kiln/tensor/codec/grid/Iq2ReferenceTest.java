package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Flavor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IQ2_XXS, IQ2_XS and IQ2_S against each tool's llama-quantize on the fixture models: every IQ2 tensor of the
 * reference runs re-quantized from the bf16 fixture with Kiln's codec of that flavour must hash as the tool wrote it
 * ({@code iq2-ik-reference.sha256}, {@code iq2-mainline-reference.sha256}; their headers say how they were made), and
 * Kiln's decoding of those bytes must hash as the tool's own dequantization of its file to f32
 * ({@code iq2-*-dequant-reference.sha256}).
 */
class Iq2ReferenceTest {

    private static final List<GgmlType> TYPES = List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S);

    @TestFactory
    List<DynamicTest> everyTensorMatchesIksQuantizer() throws IOException {
        return quantizeTests(Flavor.IK, "iq2-ik-reference.sha256");
    }

    @TestFactory
    List<DynamicTest> dequantizationMatchesIks() throws IOException {
        return dequantizeTests(Flavor.IK, "iq2-ik-reference.sha256", "iq2-ik-dequant-reference.sha256");
    }

    @TestFactory
    List<DynamicTest> everyTensorMatchesLlamaCppsQuantizer() throws IOException {
        return quantizeTests(Flavor.MAINLINE, "iq2-mainline-reference.sha256");
    }

    @TestFactory
    List<DynamicTest> dequantizationMatchesLlamaCpps() throws IOException {
        return dequantizeTests(Flavor.MAINLINE, "iq2-mainline-reference.sha256", "iq2-mainline-dequant-reference.sha256");
    }

    /** Each type is checked on both models in both flavours, IQ2_S with and without an imatrix, and its dequantization too. */
    @Test
    void everyTypeIsCoveredOnBothModels() throws IOException {
        for (Flavor flavor : Flavor.values()) {
            String name = flavor.name().toLowerCase();
            List<GridReferenceFiles.Case> quant = GridReferenceFiles.cases("iq2-" + name + "-reference.sha256", flavor);
            List<GridReferenceFiles.Case> dequant = GridReferenceFiles.cases("iq2-" + name + "-dequant-reference.sha256", flavor);
            for (GgmlType t : TYPES) {
                for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                    assertTrue(quant.stream().anyMatch(c -> c.type() == t && c.model().equals(model) && c.imatrix()), flavor + " " + t + " " + model);
                    assertTrue(dequant.stream().anyMatch(c -> c.type() == t && c.model().equals(model)), flavor + " " + t + " " + model);
                }
            }
            for (String model : List.of("tiny-deepseek", "tiny-llama")) {
                assertTrue(quant.stream().anyMatch(c -> c.type() == GgmlType.IQ2_S && c.model().equals(model) && !c.imatrix()), flavor + " IQ2_S without imatrix " + model);
            }
        }
    }

    private static List<DynamicTest> quantizeTests(Flavor flavor, String resource) throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (GridReferenceFiles.Case c : GridReferenceFiles.cases(resource, flavor)) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> assertEquals(c.sha256(),
                    GridReferenceFiles.sha256(GridReferenceFiles.quantize(c)), c.name())));
        }
        return tests;
    }

    /** Kiln's decoding of Kiln's bytes, which the quantization test shows equal to the tool's. */
    private static List<DynamicTest> dequantizeTests(Flavor flavor, String quantResource, String dequantResource) throws IOException {
        List<GridReferenceFiles.Case> quantized = GridReferenceFiles.cases(quantResource, flavor);
        List<DynamicTest> tests = new ArrayList<>();
        for (GridReferenceFiles.Case c : GridReferenceFiles.cases(dequantResource, flavor)) {
            GridReferenceFiles.Case q = quantized.stream().filter(k -> k.model().equals(c.model()) && k.type() == c.type()
                    && k.imatrix() == c.imatrix() && k.tensor().equals(c.tensor())).findFirst().orElseThrow();
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                byte[] bytes = GridReferenceFiles.quantize(c);
                assertEquals(q.sha256(), GridReferenceFiles.sha256(bytes), "the quantized input differs from the tool's");
                assertEquals(c.sha256(), GridReferenceFiles.sha256(GridReferenceFiles.dequantize(c.type(), bytes, GridReferenceFiles.rowLength(c))),
                        "dequantized " + c.name());
            }));
        }
        return tests;
    }
}
