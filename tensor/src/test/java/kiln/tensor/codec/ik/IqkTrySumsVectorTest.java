package kiln.tensor.codec.ik;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link IqkTrySumsVector} (one try per lane) must give {@link IqkTrySums#SCALAR}'s sums to the bit, for every
 * IQ*_K level set, blocks of 16 and 32, the try counts of the searches, and the scales the search tries
 * (the first estimate and {@code (step·itry + values[0]) / max}), on gaussian blocks with ties, zeros and outliers.
 */
class IqkTrySumsVectorTest {

    @Test
    void vectorSumsEqualScalarSums() {
        IqkTrySums vector = IqkTrySumsVector.create();
        SplittableRandom r = new SplittableRandom(15);
        int S = IqkSearch.Scratch.TRIES;
        float[] x = new float[32], w = new float[32], ids = new float[S];
        float[] a = new float[4 * S], b = new float[4 * S];
        for (IqkLevels lv : IqkThresholdLookupTest.ALL) {
            if (lv.count < 8) continue; // IQ2_K has its own search
            for (int blockSize : new int[] {16, 32}) {
                for (int ntry : new int[] {3, 5, 7}) {
                    IqkSearch search = new IqkSearch(lv, blockSize, ntry, lv.count == 8 ? 2 : 1, false, false, true, false);
                    for (int block = 0; block < 3000; block++) {
                        int kind = block % 4;
                        for (int j = 0; j < blockSize; j++) {
                            double g = r.nextGaussian();
                            x[j] = switch (kind) {
                                case 0 -> (float) (0.02 * g);
                                case 1 -> (float) Math.rint(4 * g) / 8;
                                case 2 -> j % 5 == 0 ? 0f : (float) g;
                                default -> r.nextInt(16) == 0 ? (float) (30 * g) : (float) g;
                            };
                            w[j] = kind % 2 == 0 ? x[j] * x[j] : (float) (r.nextDouble() * r.nextDouble() * 50 + 1e-6);
                        }
                        float max = IqkSearch.signedMax(x, 0, blockSize);
                        if (max == 0) continue;
                        for (int table = 0; table <= 1; table++) {
                            int count = 2 * ntry + 1 + (1 - table);
                            for (int m = 0; m < count; m++) {
                                ids[m] = m == count - 1 && table == 0 ? -lv.value(0, 0) / max
                                        : (search.step() * (m - ntry) + lv.value(table, 0)) / max;
                            }
                            java.util.Arrays.fill(a, 7f);
                            java.util.Arrays.fill(b, 7f);
                            IqkTrySums.SCALAR.sums(search, table, x, 0, w, ids, count, max, a);
                            vector.sums(search, table, x, 0, w, ids, count, max, b);
                            for (int i = 0; i < a.length; i++) {
                                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]),
                                        "levels " + lv.count + " block " + block + " table " + table + " sum " + i);
                            }
                        }
                    }
                }
            }
        }
    }
}
