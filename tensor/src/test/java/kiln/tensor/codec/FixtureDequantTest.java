package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dequantizes every quantized tensor of the kept quantized fixture files and compares it with the bf16 tensor it was
 * made from: a wrong bit layout would give errors of the order of the values themselves; correct dequantization
 * gives the quantization noise of the type. (Bit-exact dequantization is checked against ggml in GgmlVectorsTest.)
 */
class FixtureDequantTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-deepseek-Q4_K_M.gguf", "tiny-deepseek-Q4_K_M-imat.gguf", "tiny-deepseek-IQ4_XS.gguf"})
    void dequantizedTensorsAreCloseToTheirSource(String file) {
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        try (GgufFile in = GgufFile.open(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"));
             GgufFile q = GgufFile.open(Fixtures.file("tiny-deepseek/mainline/" + file))) {
            for (TensorInfo t : q.tensors()) {
                TensorInfo s = in.tensor(t.name());
                if (s.type() == t.type()) continue;
                double err = 0, ref = 0;
                for (long r = 0; r < t.rowCount(); r++) {
                    float[] x = FixtureQuant.row(in, s, r), y = FixtureQuant.row(q, t, r);
                    for (int i = 0; i < x.length; i++) {
                        err += (double) (y[i] - x[i]) * (y[i] - x[i]);
                        ref += (double) x[i] * x[i];
                    }
                }
                double rel = Math.sqrt(err / ref);
                double bound = t.type() == GgmlType.Q6_K ? 0.03 : t.type() == GgmlType.Q5_K || t.type() == GgmlType.Q5_0 ? 0.06 : 0.12;
                assertTrue(rel < bound, t.name() + " (" + t.type() + ") relative RMS error " + rel);
                seen.add(t.type());
            }
        }
        assertTrue(seen.size() >= 3, "types seen: " + seen);
    }
}
