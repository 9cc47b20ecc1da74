package kiln.tensor.codec.ik;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * IQ2_K's block search scores the splits in vector lanes and walks only the rows that can improve the best
 * ({@link IkIq2KVectorSearch.searchBlockVector}); it must give the scalar walk's scale and table to the bit
 * ({@link IkIq2K#searchBlockScalar}). Blocks: gaussian values, ties, zeros and a few large outliers, with positive
 * weights of ik's kinds (x² + σ²/4, and imatrix-like spreads).
 */
class IkIq2KSearchTest {

    @Test
    void vectorSearchEqualsScalarSearch() {
        SplittableRandom r = new SplittableRandom(15);
        float[] x = new float[16], w = new float[16];
        boolean[] s1 = new boolean[1], s2 = new boolean[1];
        for (int block = 0; block < 20_000; block++) {
            int kind = block % 4;
            for (int j = 0; j < 16; j++) {
                double g = r.nextGaussian();
                x[j] = switch (kind) {
                    case 0 -> (float) (0.02 * g);
                    case 1 -> (float) Math.rint(4 * g) / 8; // ties
                    case 2 -> j % 5 == 0 ? 0f : (float) g;   // zeros
                    default -> r.nextInt(16) == 0 ? (float) (30 * g) : (float) g; // outliers
                };
                w[j] = kind % 2 == 0 ? x[j] * x[j] + 1e-3f : (float) (r.nextDouble() * r.nextDouble() * 50 + 1e-6);
            }
            float scalar = IkIq2K.searchBlockScalar(x, 0, w, s1);
            float vector = IkIq2KVectorSearch.searchBlockVector(x, 0, w, s2);
            assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(vector), "scale of block " + block);
            assertEquals(s1[0], s2[0], "table of block " + block);
        }
    }
}
