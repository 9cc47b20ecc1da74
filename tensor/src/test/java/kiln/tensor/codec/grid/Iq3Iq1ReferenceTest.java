package kiln.tensor.codec.grid;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden tests of Kiln's IQ3_XXS, IQ3_S, IQ1_S and IQ1_M quantizers against each tool's llama-quantize
 * {@code --pure} output on tiny-deepseek and tiny-llama, with and without the fixtures' imatrix: every tensor of
 * those types, by SHA-256 ({@code iq3-reference.sha256}, {@code iq1-reference.sha256}; their headers say how they
 * were made).
 */
class Iq3Iq1ReferenceTest {

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
}
