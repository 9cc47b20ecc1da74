package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden tests of Q8_KV against ik_llama.cpp's llama-quantize output on both fixture models, with and without the
 * imatrix ({@code q8kv-reference.sha256}; ik ignores it), and of its dequantization ({@code q8kv-dequant-reference.sha256}),
 * with {@link TrellisReferenceTest}'s machinery.
 */
class IkQ8KvReferenceTest {

    static List<TrellisReferenceTest.Case> cases() throws IOException {
        return TrellisReferenceTest.cases("q8kv-reference.sha256");
    }

    @TestFactory
    List<DynamicTest> everyTensorMatchesIksQuantizer() throws IOException {
        return TrellisReferenceTest.quantizationTests(cases());
    }

    @TestFactory
    List<DynamicTest> dequantizationMatchesIks() throws IOException {
        return TrellisReferenceTest.dequantizationTests(cases(), TrellisReferenceTest.dequantCases("q8kv-dequant-reference.sha256"), "-imat");
    }

    @Test
    void bothModelsAreListedBothWays() throws IOException {
        for (String model : List.of("tiny-deepseek", "tiny-llama")) {
            for (boolean imatrix : new boolean[]{false, true}) {
                assertTrue(cases().stream().anyMatch(c -> c.type() == GgmlType.Q8_KV && c.model().equals(model) && c.imatrix() == imatrix),
                        model + " " + imatrix);
            }
        }
    }
}
