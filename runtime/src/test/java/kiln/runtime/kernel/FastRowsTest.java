package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The allocation-free row paths are bit-identical to the codecs. */
class FastRowsTest {

    @Test
    void dequantizationEqualsCodecBitForBit() {
        Random r = new Random(5);
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            RowCodec c = Codecs.find(t);
            if (c == null || !c.canQuantize()) continue;
            for (int cols : new int[] {256, 512, 4096}) {
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 10 : 1));
                MemorySegment seg = Arena.ofAuto().allocate(t.rowSize(cols) + 16, 64);
                c.quantize(x, 0, seg, 16, cols, null);
                float[] a = new float[cols], b = new float[cols];
                c.dequantize(seg, 16, a, 0, cols);
                FastRows.dequantize(t, seg, 16, b, cols);
                assertArrayEquals(a, b, t + " cols " + cols);
            }
        }
    }

    @Test
    void activationRoundingEqualsCodecRoundTrip() {
        Random r = new Random(6);
        MemorySegment scratch = Arena.ofAuto().allocate(8192, 64);
        for (GgmlType t : new GgmlType[] {GgmlType.BF16, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q8_K}) {
            RowCodec c = Codecs.find(t);
            if (c == null || !c.canQuantize()) continue;
            float[] x = new float[512];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            x[7] = 0.5f * 127 / 127; // exercise ties
            float[] a = new float[512], b = new float[512];
            ActivationQuant.round(c, x, 0, 512, scratch, a, 0);
            FastRows.round(t, x, 0, 512, b, 0);
            assertArrayEquals(a, b, t.toString());
        }
    }
}
