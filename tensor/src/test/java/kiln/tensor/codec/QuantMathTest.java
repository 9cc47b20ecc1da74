package kiln.tensor.codec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The numeric primitives of spec §3.0 and the scale packings of §3.2. */
class QuantMathTest {

    @Test
    void nearestIntRoundsHalfToEven() {
        assertEquals(0, QuantMath.nearestInt(0.5f));
        assertEquals(2, QuantMath.nearestInt(1.5f));
        assertEquals(2, QuantMath.nearestInt(2.5f));
        assertEquals(0, QuantMath.nearestInt(-0.5f));
        assertEquals(-2, QuantMath.nearestInt(-1.5f));
        assertEquals(-2, QuantMath.nearestInt(-2.5f));
        assertEquals(3, QuantMath.nearestInt(2.5000002f));
        assertEquals(-7, QuantMath.nearestInt(-6.7f));
        assertEquals(4194303, QuantMath.nearestInt(4194303f));
        assertEquals(0, QuantMath.nearestInt(-0.0f));
    }

    @Test
    void roundfRoundsHalfAwayFromZero() {
        assertEquals(1f, QuantMath.roundf(0.5f));
        assertEquals(-1f, QuantMath.roundf(-0.5f));
        assertEquals(3f, QuantMath.roundf(2.5f));
        assertEquals(0f, QuantMath.roundf(0.49999997f));
        assertEquals(-127f, QuantMath.roundf(-126.5f));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(QuantMath.roundf(-0.2f)));
        assertEquals(16777216f, QuantMath.roundf(16777216f));
    }

    @Test
    void cTruncToIntMimicsX86Conversion() {
        assertEquals(-2, QuantMath.cTruncToInt(-2.7f));
        assertEquals(15, QuantMath.cTruncToInt(15.99f));
        assertEquals(Integer.MIN_VALUE, QuantMath.cTruncToInt(Float.NaN));
        assertEquals(Integer.MIN_VALUE, QuantMath.cTruncToInt(3e9f));
        assertEquals(Integer.MIN_VALUE, QuantMath.cTruncToInt(Float.NEGATIVE_INFINITY));
        assertEquals(0, (byte) QuantMath.cTruncToInt(Float.NaN)); // (int8_t)NaN is 0 on x86-64
    }

    @Test
    void bestIndexInt8PicksNearestAndUpperOnTies() {
        byte[] v = QuantMath.KVALUES_IQ4NL;
        assertEquals(0, QuantMath.bestIndexInt8(16, v, -500f));
        assertEquals(15, QuantMath.bestIndexInt8(16, v, 500f));
        assertEquals(8, QuantMath.bestIndexInt8(16, v, 1f));
        assertEquals(8, QuantMath.bestIndexInt8(16, v, -4.5f)); // midpoint of -10 and 1: the upper one
        assertEquals(7, QuantMath.bestIndexInt8(16, v, -4.6f));
        for (int i = 0; i < 16; i++) assertEquals(i, QuantMath.bestIndexInt8(16, v, v[i]));
    }

    @Test
    void floatTableSearchAgreesWithGgmlsBinarySearch() {
        byte[] v = QuantMath.KVALUES_IQ4NL;
        float[] f = QuantMath.widen(v);
        byte[] odd = {-9, -4, 0, 3, 7, 20, 21};
        float[] oddF = QuantMath.widen(odd);
        java.util.Random r = new java.util.Random(7);
        java.util.List<Float> xs = new java.util.ArrayList<>(java.util.List.of(Float.NaN, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, -0.0f, 0.0f, -127f, 113f, -4.5f, 7f, 19f, 26.5f));
        for (int i = 0; i < 20000; i++) xs.add((float) (r.nextGaussian() * 80));
        for (int i = -260; i <= 260; i++) xs.add(i * 0.5f); // every midpoint
        for (float x : xs) {
            assertEquals(QuantMath.bestIndexInt8(16, v, x), QuantMath.bestIndex(f, x), "x = " + x);
            assertEquals(QuantMath.bestIndexInt8(odd.length, odd, x), QuantMath.bestIndex(oddF, x), "odd table, x = " + x);
        }
    }

    @Test
    void kQuantScaleMinPackingRoundTrips() {
        byte[] ls = new byte[8], lm = new byte[8], q = new byte[12];
        for (int seed = 0; seed < 64; seed++) {
            for (int j = 0; j < 8; j++) {
                ls[j] = (byte) ((seed * 7 + j * 13) & 63);
                lm[j] = (byte) ((seed * 11 + j * 5 + 1) & 63);
            }
            java.util.Arrays.fill(q, (byte) 0x5A); // packing must not depend on the old contents
            QuantMath.packScaleMinK4(ls, lm, q, 0);
            for (int j = 0; j < 8; j++) {
                int sm = QuantMath.getScaleMinK4(j, q, 0);
                assertEquals(ls[j], sm & 0xFF, "scale " + j);
                assertEquals(lm[j], sm >> 8, "min " + j);
            }
        }
    }

    @Test
    void q3kScalePackingRoundTrips() {
        byte[] l = new byte[16], q = new byte[12];
        for (int seed = 0; seed < 64; seed++) {
            for (int j = 0; j < 16; j++) l[j] = (byte) ((seed * 5 + j * 9) & 63);
            java.util.Arrays.fill(q, (byte) 0x33);
            QuantMath.packScalesQ3K(l, q, 0);
            for (int j = 0; j < 16; j++) assertEquals(l[j] - 32, QuantMath.getScaleQ3K(j, q, 0), "scale " + j);
        }
    }

    @Test
    void makeQxQuantsAllZeroGivesZeroScaleAndLevels() {
        float[] x = new float[16];
        byte[] L = new byte[16];
        java.util.Arrays.fill(L, (byte) 9);
        assertEquals(0f, QuantMath.makeQxQuants(16, 32, x, 0, L, 0, 1, null, 0));
        for (byte b : L) assertEquals(0, b);
    }

    @Test
    void makeQpQuantsStoresUint8Levels() {
        float[] x = {0.1f, 0.2f, 0.4f, 0.8f, 0f, 0.05f, 0.3f, 0.6f};
        float[] w = {1, 1, 1, 1, 1, 1, 1, 1};
        byte[] L = new byte[8];
        float d = QuantMath.makeQpQuants(8, 63, x, 0, L, 0, w, 0);
        for (int i = 0; i < 8; i++) {
            int l = L[i] & 0xFF;
            assertEquals(true, l <= 63, "level " + l);
            assertEquals(x[i], d * l, 0.02f);
        }
    }
}
