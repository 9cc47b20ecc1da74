package kiln.tensor.codec;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** BF16's row reading gives {@link Fp16#bf16ToFloat} of every one of the 65536 bit patterns, NaN payloads included. */
class Bf16ReadTest {

    @Test
    void everyPatternWidensAsFp16Does() {
        int n = 1 << 16;
        MemorySegment src = MemorySegment.ofArray(new byte[2 * n + 2]);
        for (int b = 0; b < n; b++) src.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 + 2L * b, (short) b);
        float[] y = new float[n + 1];
        Codecs.find(GgmlType.BF16).dequantize(src, 2, y, 1, n);
        for (int b = 0; b < n; b++) {
            assertEquals(Float.floatToRawIntBits(Fp16.bf16ToFloat((short) b)), Float.floatToRawIntBits(y[1 + b]), "pattern " + b);
        }
    }
}
