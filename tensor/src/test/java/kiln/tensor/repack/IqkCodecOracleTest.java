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
 * The IQ*_K codecs' dequantization of random blocks (every bit pattern, a finite fp16 d) equals
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
}
