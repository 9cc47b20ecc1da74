package kiln.tensor.codec.ik;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trellis search's vector lane scan ({@link TrellisLaneScanVector}) must pick the indices the scalar oracle ({@link TrellisLaneScan#SCALAR}) picks, for the four quantizers' tables
 * (IQ1_KT's 13-bit, IQ2_KT's, IQ3_KT's absolute, IQ4_KT's groups of 4): gaussian blocks at several scales, with
 * weights of ik's kinds; and the quantizers' scan is the vector one when the module is present, as in these tests.
 */
class TrellisSearchVectorTest {

    @Test
    void vectorScanPicksTheScalarIndices() {
        check(new TrellisQuantizer(13, false, 32), 1);
        check(new TrellisQuantizer(16, false, 8), 2);
        check(new TrellisQuantizer(16, true, 8), 3);
        check(new TrellisQuantizer(4, 15, false, 625, 6, Trellis.OFFSET), 4);
    }

    @Test
    void theQuantizersUseTheVectorScanWhenTheModuleIsPresent() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "tests run with jdk.incubator.vector");
        assertInstanceOf(TrellisLaneScanVector.class, TrellisLaneScan.BEST);
    }

    private static void check(TrellisQuantizer q, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[32], w = new float[32];
        int[] vector = new int[8], scalar = new int[8];
        TrellisLaneScan vectorScan = new TrellisLaneScanVector();
        for (int block = 0; block < 1500; block++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                x[j] = (float) (r.nextGaussian() * (block % 3 == 0 ? 0.01 : 1));
                w[j] = block % 2 == 0 ? x[j] * x[j] + 1e-4f : (float) (r.nextDouble() * 4 + 1e-6);
                amax = Math.max(amax, Math.abs(x[j]));
            }
            float d = (block % 4 < 2 ? 1 : -1) * amax / (70 + r.nextInt(60));
            q.findBestMatch(d, x, 0, w, 0, 32, vector, 0, vectorScan);
            q.findBestMatch(d, x, 0, w, 0, 32, scalar, 0, TrellisLaneScan.SCALAR);
            assertArrayEquals(scalar, vector, "block " + block + " (seed " + seed + ")");
        }
    }
}
