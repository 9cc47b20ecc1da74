package kiln.tensor.repack;

import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against ik_llama.cpp's own interleaved tensors (fixtures made by direct quantization to the R type, which ik does
 * as base quantization + repack): Kiln's repack of ik's base tensor gives ik's bytes, unpack is the exact inverse, and
 * dequantizing the interleaved tensor equals dequantizing the base tensor with the base codec.
 */
class IkInterleavedFixtureTest {

    @Test
    void q8_0_r8() {
        compare("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf", "tiny-deepseek/ik/tiny-deepseek-Q8_0_R8.gguf", 28);
    }

    @Test
    void q6_k_r4() {
        compare("tiny-deepseek/ik/tiny-deepseek-Q6_K.gguf", "tiny-deepseek/ik/tiny-deepseek-Q6_K_R4.gguf", 28);
    }

    @Test
    void iq4_xs_r8() {
        compare("tiny-deepseek/ik/tiny-deepseek-IQ4_XS.gguf", "tiny-deepseek/ik/tiny-deepseek-IQ4_XS_R8.gguf", 24);
    }

    @Test
    void q4_k_r4DirectFilesRoundTripAndDequantize() {
        assertEquals(24, roundTrip("tiny-deepseek/ik/tiny-deepseek-Q4_K_R4.gguf"));
        assertEquals(24, roundTrip("tiny-llama/ik/tiny-llama-Q4_K_R4.gguf"));
    }

    /** ik's R tensors equal Kiln's repack of the same tensor of ik's base file. */
    private static void compare(String baseFile, String packedFile, int expectedTensors) {
        Path b = Fixtures.file(baseFile), p = Fixtures.file(packedFile);
        int n = 0;
        try (GgufFile base = GgufFile.open(b); GgufFile packed = GgufFile.open(p)) {
            for (TensorInfo t : packed.tensors()) {
                if (!t.type().isInterleaved()) continue;
                Interleaver il = Interleavers.requirePacked(t.type());
                TensorInfo bt = base.tensor(t.name());
                assertEquals(il.baseType(), bt.type(), t.name());
                long groups = TensorRepacker.groups(il, t.rowCount());
                byte[] mine = new byte[Math.toIntExact(t.byteSize())];
                TensorRepacker.repack(bt.type(), il, base.data(bt), MemorySegment.ofArray(mine), t.dim(0), 0, groups);
                assertArrayEquals(packed.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), mine, t.name());
                checkDequant(il, t, packed.data(t), base.data(bt));
                n++;
            }
        }
        assertEquals(expectedTensors, n);
    }

    /** unpack → repack is the identity on ik's tensors, and the dequantized values agree with the base codec. */
    private static int roundTrip(String packedFile) {
        int n = 0;
        try (GgufFile packed = GgufFile.open(Fixtures.file(packedFile))) {
            for (TensorInfo t : packed.tensors()) {
                if (!t.type().isInterleaved()) continue;
                Interleaver il = Interleavers.requirePacked(t.type());
                long groups = TensorRepacker.groups(il, t.rowCount());
                MemorySegment unpacked = MemorySegment.ofArray(new byte[Math.toIntExact(il.baseType().rowSize(t.dim(0)) * t.rowCount())]);
                byte[] again = new byte[Math.toIntExact(t.byteSize())];
                TensorRepacker.unpack(il, packed.data(t), unpacked, t.dim(0), 0, groups);
                TensorRepacker.repack(il.baseType(), il, unpacked, MemorySegment.ofArray(again), t.dim(0), 0, groups);
                assertArrayEquals(packed.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), again, t.name());
                checkDequant(il, t, packed.data(t), unpacked);
                n++;
            }
        }
        return n;
    }

    private static void checkDequant(Interleaver il, TensorInfo t, MemorySegment packed, MemorySegment base) {
        RowCodec codec = Codecs.find(il.baseType());
        int nPerRow = Math.toIntExact(t.dim(0));
        int rows = Math.toIntExact(Math.min(t.rowCount(), 64));
        float[] expected = new float[rows * nPerRow];
        long rowBytes = il.baseType().rowSize(nPerRow);
        for (int r = 0; r < rows; r++) codec.dequantize(base, r * rowBytes, expected, r * nPerRow, nPerRow);
        float[] got = new float[rows * nPerRow];
        TensorRepacker.dequantizeRows(il, packed, nPerRow, 0, rows, got, 0);
        assertArrayEquals(expected, got, t.name());
        boolean nonZero = false;
        for (float f : got) nonZero |= f != 0;
        assertTrue(nonZero, t.name() + " dequantized to all zeros");
    }
}
