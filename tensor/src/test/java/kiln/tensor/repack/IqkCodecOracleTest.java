package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The IQ*_K and IQ*_KS codecs' dequantization of random blocks (every bit pattern, a finite fp16 d) equals
 * {@link IkReferenceDequant}, the oracle transcribed from ik's {@code dequantize_row_iq*_k}, which the interleavers'
 * tests use too.
 */
class IqkCodecOracleTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_K", "IQ3_K", "IQ4_K", "IQ5_K"})
    void dequantizeEqualsIksReference(GgmlType type) {
        RowCodec codec = Codecs.find(type);
        assertNotNull(codec, type.toString());
        Random rnd = new Random(type.id());
        int blocks = 64, blockBytes = type.typeSize();
        byte[] b = new byte[blocks * blockBytes];
        rnd.nextBytes(b);
        for (int blk = 0; blk < blocks; blk++) {
            short h = Fp16.floatToHalf((float) rnd.nextGaussian() * 0.01f);
            b[blockBytes * blk] = (byte) h;
            b[blockBytes * blk + 1] = (byte) (h >> 8);
        }
        float[] expected = new float[blocks * 256], got = new float[blocks * 256];
        for (int blk = 0; blk < blocks; blk++) IkReferenceDequant.block(type, b, blockBytes * blk, expected, 256 * blk);
        codec.dequantize(MemorySegment.ofArray(b), 0, got, 0, blocks * 256);
        assertArrayEquals(expected, got, type.toString());
    }

    /** IQ4_KS / IQ5_KS: a float scale at the start of every row, then blocks of 256. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ4_KS", "IQ5_KS"})
    void rowScaledDequantizeEqualsIksReference(GgmlType type) {
        RowCodec codec = Codecs.find(type);
        assertNotNull(codec, type.toString());
        Random rnd = new Random(type.id());
        int rows = 8, n = 3 * 256, rowBytes = Math.toIntExact(type.rowSize(n));
        byte[] b = new byte[rows * rowBytes];
        rnd.nextBytes(b);
        for (int r = 0; r < rows; r++) {
            int bits = Float.floatToIntBits((float) rnd.nextGaussian() * 0.01f);
            for (int i = 0; i < 4; i++) b[r * rowBytes + i] = (byte) (bits >>> 8 * i);
        }
        float[] expected = new float[rows * n], got = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            IkReferenceDequant.ksRow(type, b, r * rowBytes, expected, r * n, 3);
            codec.dequantize(MemorySegment.ofArray(b), (long) r * rowBytes, got, r * n, n);
        }
        assertArrayEquals(expected, got, type.toString());
    }
}
