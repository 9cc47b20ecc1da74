package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dequantize(quantize(x)) stays close to x, with and without weights, and quantizing is deterministic. */
class RoundTripTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // type, max relative RMS error on gaussian rows
            "Q8_0,   0.01",
            "Q8_K,   0.01",
            "Q6_K,   0.03",
            "Q5_0,   0.06",
            "Q5_1,   0.06",
            "Q5_K,   0.06",
            "Q4_0,   0.12",
            "Q4_1,   0.12",
            "Q4_K,   0.12",
            "IQ4_NL, 0.12",
            "IQ4_XS, 0.12",
            "Q3_K,   0.25",
            "Q2_K,   0.45",
    })
    void roundTripErrorIsSmall(String typeName, float maxRelRms) {
        GgmlType type = GgmlType.valueOf(typeName);
        RowCodec c = Codecs.require(type, Flavor.MAINLINE);
        int n = 1024;
        Random rnd = new Random(42);
        float[] x = new float[n], w = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * 0.02f;
            w[i] = (float) Math.exp(rnd.nextGaussian());
        }
        for (float[] weights : new float[][]{null, w}) {
            byte[] q = new byte[(int) type.rowSize(n)];
            c.quantize(x, 0, MemorySegment.ofArray(q), 0, n, weights);
            float[] y = new float[n];
            c.dequantize(MemorySegment.ofArray(q), 0, y, 0, n);
            double err = 0, ref = 0;
            for (int i = 0; i < n; i++) {
                err += (double) (y[i] - x[i]) * (y[i] - x[i]);
                ref += (double) x[i] * x[i];
            }
            double rel = Math.sqrt(err / ref);
            assertTrue(rel <= maxRelRms, typeName + (weights != null ? " weighted" : "") + " relative RMS error " + rel);

            byte[] again = new byte[q.length];
            c.quantize(x, 0, MemorySegment.ofArray(again), 0, n, weights);
            assertArrayEquals(q, again, "deterministic");
        }
    }
}
