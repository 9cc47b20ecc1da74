package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.BlockCodec;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs the fixtures do not hold: zero rows and blocks, zero weights, missing weights, several rows per call. */
class GridQuantizerEdgeCasesTest {

    private static final List<GgmlType> TYPES = List.of(GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M);

    private static float[] ones(int n) {
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }

    private static float[] decode(GgmlType t, byte[] bytes, int n) {
        float[] y = new float[n];
        Codecs.require(t, Flavor.MAINLINE).dequantize(MemorySegment.ofArray(bytes), 0, y, 0, n);
        return y;
    }

    @Test
    void anAllZeroRowIsAllZeroBytesAndDecodesToZero() {
        for (GgmlType t : TYPES) {
            for (Flavor f : Flavor.values()) {
                byte[] q = ((BlockCodec) Codecs.require(t, f)).quantizeToBytes(new float[512], 0, 512, ones(512));
                assertArrayEquals(new byte[q.length], q, t + " " + f);
                for (float v : decode(t, q, 512)) assertEquals(0f, v, 0f, t + " " + f); // ±0
            }
        }
    }

    /**
     * A zero block inside a row leaves the row's decoded values close to the input (IQ3_XXS, IQ1_S, IQ1_M; the zero
     * block itself decodes to small values: no grid type has a zero level). IQ3_S: see the next test.
     */
    @Test
    void aZeroBlockBetweenOthersKeepsTheRowClose() {
        Random r = new Random(3);
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = i / 32 == 2 ? 0 : (float) r.nextGaussian();
        for (GgmlType t : List.of(GgmlType.IQ3_XXS, GgmlType.IQ1_S, GgmlType.IQ1_M)) {
            for (Flavor f : Flavor.values()) {
                float[] y = decode(t, ((BlockCodec) Codecs.require(t, f)).quantizeToBytes(x, 0, 256, ones(256)), 256);
                double err = 0, energy = 0;
                for (int i = 0; i < 256; i++) {
                    err += (y[i] - x[i]) * (y[i] - x[i]);
                    energy += x[i] * x[i];
                }
                assertTrue(err < 0.6 * energy, t + " " + f + ": relative error " + err / energy);
            }
        }
    }

    /**
     * ggml's {@code quantize_row_iq3_s_impl} skips an all-zero block of 32 with {@code continue} before advancing its
     * {@code qs} and {@code signs} cursors, so the following blocks' indices and signs land one slot early and the
     * last slot stays zero. Compared with the same row whose block 2 holds tiny values instead (searched normally;
     * without weights no other block's search depends on it), the bytes of blocks 3..7 move to slots 2..6.
     */
    @Test
    void iq3sZeroBlockShiftsTheFollowingIndicesAndSigns() {
        Random r = new Random(6);
        float[] zero = new float[256], tiny = new float[256];
        for (int i = 0; i < 256; i++) zero[i] = tiny[i] = i / 32 == 2 ? 0 : (float) r.nextGaussian();
        for (int i = 64; i < 96; i++) tiny[i] = 1e-6f * (i % 5 - 2);
        for (Flavor f : Flavor.values()) {
            BlockCodec c = (BlockCodec) Codecs.require(GgmlType.IQ3_S, f);
            byte[] a = c.quantizeToBytes(zero, 0, 256, null), b = c.quantizeToBytes(tiny, 0, 256, null);
            int qs = 2, signs = 74;
            assertArrayEquals(java.util.Arrays.copyOfRange(b, qs + 24, qs + 64), java.util.Arrays.copyOfRange(a, qs + 16, qs + 56), f + " qs");
            assertArrayEquals(new byte[8], java.util.Arrays.copyOfRange(a, qs + 56, qs + 64), f + " last qs slot");
            assertArrayEquals(java.util.Arrays.copyOfRange(b, signs + 12, signs + 32), java.util.Arrays.copyOfRange(a, signs + 8, signs + 28), f + " signs");
            assertArrayEquals(new byte[4], java.util.Arrays.copyOfRange(a, signs + 28, signs + 32), f + " last signs slot");
        }
    }

    /** A block whose weights are all zero (an imatrix with dead columns) still quantizes to finite values. */
    @Test
    void zeroWeightsInOneBlockGiveFiniteValues() {
        Random r = new Random(4);
        float[] x = new float[256], w = ones(256);
        for (int i = 0; i < 256; i++) x[i] = (float) r.nextGaussian();
        for (int i = 32; i < 64; i++) w[i] = 0;
        for (GgmlType t : TYPES) {
            for (Flavor f : Flavor.values()) {
                for (float v : decode(t, ((BlockCodec) Codecs.require(t, f)).quantizeToBytes(x, 0, 256, w), 256)) {
                    assertTrue(Float.isFinite(v), t + " " + f);
                }
            }
        }
    }

    @Test
    void iq1sWithoutWeightsIsRefusedInOneLine() {
        for (Flavor f : Flavor.values()) {
            RowCodec c = Codecs.require(GgmlType.IQ1_S, f);
            KilnException e = assertThrows(KilnException.class,
                    () -> c.quantize(new float[256], 0, MemorySegment.ofArray(new byte[50]), 0, 256, null));
            assertTrue(e.getMessage().contains("imatrix") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** Without weights the grid quantizers work block by block: two rows in one call equal two calls. */
    @Test
    void twoRowsInOneCallEqualTwoCalls() {
        Random r = new Random(5);
        float[] x = new float[1024];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (GgmlType t : List.of(GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_M)) {
            for (Flavor f : Flavor.values()) {
                BlockCodec c = (BlockCodec) Codecs.require(t, f);
                byte[] both = c.quantizeToBytes(x, 0, 1024, null), a = c.quantizeToBytes(x, 0, 512, null), b = c.quantizeToBytes(x, 512, 512, null);
                byte[] joined = new byte[a.length + b.length];
                System.arraycopy(a, 0, joined, 0, a.length);
                System.arraycopy(b, 0, joined, a.length, b.length);
                assertArrayEquals(joined, both, t + " " + f);
            }
        }
    }
}
