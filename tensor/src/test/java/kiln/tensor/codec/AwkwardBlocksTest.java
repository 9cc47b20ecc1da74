package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocks that exercise the traps of spec §3: all zero (negative-zero scales), negative zero input, one huge value,
 * subnormals, and non-finite input (refused with a KilnException).
 */
class AwkwardBlocksTest {

    enum T { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_NL, IQ4_XS }

    private static RowCodec codec(T t) {
        return Codecs.require(GgmlType.valueOf(t.name()), Flavor.MAINLINE);
    }

    private static byte[] quantize(RowCodec c, float[] x, float[] w) {
        byte[] out = new byte[(int) c.type().rowSize(x.length)];
        c.quantize(x, 0, MemorySegment.ofArray(out), 0, x.length, w);
        return out;
    }

    private static float[] dequantize(RowCodec c, byte[] b, int n) {
        float[] y = new float[n];
        c.dequantize(MemorySegment.ofArray(b), 0, y, 0, n);
        return y;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) | ((b[off + 1] & 0xFF) << 8);
    }

    @Test
    void allZeroQ4_0HasNegativeZeroScaleAndMidLevels() {
        byte[] b = quantize(codec(T.Q4_0), new float[32], null);
        assertEquals(0x8000, u16(b, 0));
        for (int j = 2; j < 18; j++) assertEquals((byte) 0x88, b[j]);
    }

    @Test
    void allZeroQ5_0AndIq4XsHaveNegativeZeroScale() {
        assertEquals(0x8000, u16(quantize(codec(T.Q5_0), new float[32], null), 0));
        byte[] xs = quantize(codec(T.IQ4_XS), new float[256], null);
        assertEquals(0x8000, u16(xs, 0));
    }

    @Test
    void negativeZeroInputQ4_1StoresNegativeZeroMin() {
        float[] x = new float[32];
        Arrays.fill(x, -0.0f);
        byte[] b = quantize(codec(T.Q4_1), x, null);
        assertEquals(0x0000, u16(b, 0)); // d = (max - min)/15 = +0
        assertEquals(0x8000, u16(b, 2)); // m = fp16(-0.0)
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void allZeroBlocksDequantizeToZero(T t) {
        RowCodec c = codec(t);
        int n = c.type().blockSize() == 32 ? 64 : 512;
        for (float z : new float[]{0.0f, -0.0f}) {
            float[] x = new float[n];
            Arrays.fill(x, z);
            float[] y = dequantize(c, quantize(c, x, null), n);
            for (float v : y) assertEquals(0f, Math.abs(v), t + " of " + z);
            float[] w = new float[n];
            Arrays.fill(w, 1f);
            y = dequantize(c, quantize(c, x, w), n);
            for (float v : y) assertEquals(0f, Math.abs(v), t + " weighted, of " + z);
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void subnormalBlocksQuantizeToFiniteTinyValues(T t) {
        RowCodec c = codec(t);
        int n = c.type().blockSize() == 32 ? 64 : 256;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i % 3 - 1) * Float.MIN_VALUE * (i + 1);
        for (float v : dequantize(c, quantize(c, x, null), n)) {
            assertTrue(Float.isFinite(v) && Math.abs(v) <= 1e-30f, t + " gave " + v);
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void oneHugeValueSurvivesAndTheRestStaysSmall(T t) {
        RowCodec c = codec(t);
        int n = c.type().blockSize() == 32 ? 32 : 256;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 0.001f * ((i * 37) % 11 - 5);
        x[5] = 30000f;
        float[] y = dequantize(c, quantize(c, x, null), n);
        assertEquals(30000f, y[5], 30000f * 0.1f, t.name());
        for (int i = 0; i < n; i++) {
            if (i != 5) assertTrue(Math.abs(y[i]) <= 3000f, t + " element " + i + " = " + y[i]);
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void nanAndInfInputAreRefused(T t) {
        RowCodec c = codec(t);
        int n = c.type().blockSize();
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = new float[n];
            x[n / 2] = bad;
            KilnException e = assertThrows(KilnException.class, () -> quantize(c, x, null));
            assertTrue(e.getMessage().contains(Float.isNaN(bad) ? "NaN" : "Inf"), e.getMessage());
            assertTrue(e.getMessage().contains(c.type().ggmlName()), e.getMessage());
        }
        float[] w = new float[n];
        w[1] = Float.NaN;
        KilnException e = assertThrows(KilnException.class, () -> quantize(c, new float[n], w));
        assertTrue(e.getMessage().contains("importance weights") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void partialBlocksAreRejected(T t) {
        RowCodec c = codec(t);
        int n = c.type().blockSize() + 1;
        assertThrows(IllegalArgumentException.class,
                () -> c.quantize(new float[n], 0, MemorySegment.ofArray(new byte[4096]), 0, n, null));
    }

    @Test
    void q8KBsumsAreTheSumsOfSixteenQuants() {
        RowCodec c = codec(T.Q8_K);
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = (float) Math.sin(i * 0.37) * (i % 7 + 1);
        byte[] b = quantize(c, x, null);
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += b[4 + 16 * j + i];
            assertEquals((short) sum, (short) u16(b, 260 + 2 * j), "bsum " + j);
        }
        byte[] zero = quantize(c, new float[256], null);
        assertArrayEquals(new byte[292], zero);
    }
}
