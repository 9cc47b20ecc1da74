package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.BlockCodec;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registration and the contract of the IQ2 codecs (their bytes are checked by the reference tests). */
class Iq2CodecsTest {

    @Test
    void registeredInBothFlavoursWithTheirImatrixRule() {
        for (Flavor f : Flavor.values()) {
            for (GgmlType t : List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S)) {
                RowCodec c = Codecs.require(t, f);
                assertEquals(t, c.type());
                assertTrue(c.canQuantize(), t + " " + f);
                assertEquals(t != GgmlType.IQ2_S, c.requiresImatrix(), t + " " + f);
            }
        }
    }

    @Test
    void llamaCppsIq2XxsAndIq2XsRefuseToRunWithoutWeights() {
        float[] x = ramp(256);
        for (GgmlType t : List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS)) {
            BlockCodec c = (BlockCodec) Codecs.require(t, Flavor.MAINLINE);
            KilnException e = assertThrows(KilnException.class, () -> c.quantizeToBytes(x, 0, 256, null));
            assertTrue(e.getMessage().contains(t.name()) && e.getMessage().contains("imatrix"), e.getMessage());
        }
    }

    @Test
    void anAllZeroSuperBlockIsAllZeroBytes() {
        float[] x = new float[512];
        System.arraycopy(ramp(256), 0, x, 256, 256);
        float[] w = new float[512];
        Arrays.fill(w, 1);
        for (Flavor f : Flavor.values()) {
            for (GgmlType t : List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S)) {
                byte[] q = ((BlockCodec) Codecs.require(t, f)).quantizeToBytes(x, 0, 512, w);
                assertArrayEquals(new byte[t.typeSize()], Arrays.copyOf(q, t.typeSize()), t + " " + f);
                assertTrue(!Arrays.equals(new byte[t.typeSize()], Arrays.copyOfRange(q, t.typeSize(), 2 * t.typeSize())), t + " " + f);
            }
        }
    }

    @Test
    void decodingApproximatesTheInput() {
        float[] x = ramp(256);
        float[] w = new float[256];
        Arrays.fill(w, 1);
        for (Flavor f : Flavor.values()) {
            for (GgmlType t : List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S)) {
                BlockCodec c = (BlockCodec) Codecs.require(t, f);
                byte[] q = c.quantizeToBytes(x, 0, 256, w);
                float[] y = new float[256];
                c.dequantize(java.lang.foreign.MemorySegment.ofArray(q), 0, y, 0, 256);
                double err = 0, energy = 0;
                for (int i = 0; i < 256; i++) {
                    err += (x[i] - y[i]) * (x[i] - y[i]);
                    energy += x[i] * x[i];
                }
                assertTrue(err < 0.2 * energy, t + " " + f + ": relative squared error " + err / energy);
            }
        }
    }

    /** Values −1 … 1 in a scrambled order, so every group holds both signs. */
    private static float[] ramp(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = ((i * 37) % n) / (n / 2f) - 1;
        return x;
    }
}
