package kiln.tensor.codec.ik;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IQ6_K as ik's kernels read it ({@link IkKernelCodecs#forRuntime}): each 6-bit index's level is ik's int8 table, typed
 * here from {@code kvalues_iq6nl} in ik's {@code iqk/iqk_gemm_iqk_quants.cpp} (stored + 128 there), +1 where the
 * block is shifted, times d·scale; and within half a level of {@code dequantize_row_iq6_k}'s cubic.
 */
class Iq6KKernelViewTest {
    private static final int[] KVALUES_IQ6NL = {
        1, 7, 13, 19, 24, 30, 35, 40, 44, 49, 54, 58, 62, 66, 70, 74,
        77, 81, 84, 88, 91, 94, 97, 100, 103, 106, 109, 112, 115, 117, 120, 123,
        126, 128, 131, 134, 137, 140, 142, 145, 148, 151, 155, 158, 161, 164, 168, 172,
        175, 179, 183, 187, 191, 196, 200, 205, 210, 215, 220, 226, 231, 237, 243, 249,
    };

    /** Block offsets: d, extra, scales[16], qs[128], qh[64]. */
    private static final int EXTRA = 2, SCALES = 4, QS = 20, QH = 148, SIZE = 212;

    @Test
    void kernelViewReadsIksInt8TableAndStaysWithinHalfALevelOfTheCubic() {
        RowCodec view = IkKernelCodecs.forRuntime(GgmlType.IQ6_K), codec = Codecs.find(GgmlType.IQ6_K);
        assertSame(IkIq6K.AS_IK_KERNELS_READ_IT, view);
        Random r = new Random(6);
        byte[] b = new byte[SIZE * 4];
        r.nextBytes(b);
        float[] scale = new float[4];
        for (int blk = 0; blk < 4; blk++) {
            short h = Fp16.floatToHalf((float) (0.001 + 0.01 * r.nextDouble()));
            b[SIZE * blk] = (byte) h;
            b[SIZE * blk + 1] = (byte) (h >> 8);
            scale[blk] = Fp16.halfToFloat(h);
        }
        float[] got = new float[1024], cubic = new float[1024];
        view.dequantize(MemorySegment.ofArray(b), 0, got, 0, 1024);
        codec.dequantize(MemorySegment.ofArray(b), 0, cubic, 0, 1024);
        for (int blk = 0; blk < 4; blk++) {
            int o = SIZE * blk, extra = (b[o + EXTRA] & 0xFF) | (b[o + EXTRA + 1] & 0xFF) << 8;
            for (int i = 0; i < 256; i++) {
                // value i: 16-value group g, in 64-value part p at offset k (ik's dequantize_row_iq6_k layout)
                int g = i / 16, p = i / 64, k = (i % 64) / 16, j = i % 16, jj = j + 16 * (k % 2);
                int low = ((b[o + QS + 32 * p + jj] & 0xFF) >> 4 * (k / 2)) & 0xf;
                int high = ((b[o + QH + 32 * (p / 2) + jj] & 0xFF) >> (4 * (p % 2) + 2 * (k / 2))) & 3;
                float dl = scale[blk] * b[o + SCALES + g];
                float want = dl * (KVALUES_IQ6NL[low | high << 4] - 128 + (extra >> g & 1));
                assertEquals(want, got[256 * blk + i], "block " + blk + " value " + i);
                assertTrue(Math.abs(got[256 * blk + i] - cubic[256 * blk + i]) <= 0.5f * Math.abs(dl) * 1.0001f,
                        "block " + blk + " value " + i + ": table " + got[256 * blk + i] + " vs cubic " + cubic[256 * blk + i]);
            }
        }
    }
}
