package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Dequantizing an interleaved group gives bit-for-bit the values the base codec gives for the base rows (quantized
 * from random floats with the base codec, so every field is realistic, plus all-zero and extreme rows).
 */
class InterleavedDequantTest {

    @TestFactory
    List<DynamicTest> dequantizeEqualsBaseCodec() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Interleaver il : InterleaverRoundTripTest.exact()) {
            tests.add(DynamicTest.dynamicTest(il.packedType().ggmlName(), () -> check(il)));
        }
        return tests;
    }

    private static void check(Interleaver il) {
        RowCodec base = Codecs.find(il.baseType());
        if (base == null) {
            checkAgainstIkReference(il);
            return;
        }
        if (!base.canQuantize() || base.requiresImatrix()) {
            checkRandomBlocks(il, base);
            return;
        }
        assertNotNull(base, "no base codec for " + il.baseType());
        Random rnd = new Random(il.packedType().id() * 31L);
        for (long n : InterleaverRoundTripTest.rowLengths(il)) {
            int rows = il.rows() * 2;
            int nn = Math.toIntExact(n);
            float[] x = new float[rows * nn];
            for (int i = 0; i < x.length; i++) {
                int row = i / nn;
                x[i] = row == 0 ? 0f : row == 1 ? (float) (rnd.nextGaussian() * 1e4) : (float) (rnd.nextGaussian() * Math.exp(-row));
            }
            long rowBytes = il.baseType().rowSize(n);
            MemorySegment bytes = MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes * rows)]);
            for (int r = 0; r < rows; r++) base.quantize(x, r * nn, bytes, r * rowBytes, nn, null);
            float[] expected = new float[rows * nn];
            for (int r = 0; r < rows; r++) base.dequantize(bytes, r * rowBytes, expected, r * nn, nn);

            MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(il.groupBytes(n) * 2)]);
            TensorRepacker.repack(il.baseType(), il, bytes, packed, n, 0, 2);
            float[] got = new float[rows * nn];
            TensorRepacker.dequantizeRows(il, packed, n, 0, rows, got, 0);
            assertArrayEquals(expected, got, il.packedType().ggmlName() + " n=" + n);
        }
    }

    /**
     * ik-only base types without a Kiln codec yet (Q6_0, IQ4_K, IQ5_K): random base blocks (finite d) against ik's
     * {@code dequantize_row_q6_0} / {@code dequantize_row_iq4_k} / {@code dequantize_row_iq5_k}, transcribed in
     * {@link IkReferenceDequant} as the oracle.
     */
    private static void checkAgainstIkReference(Interleaver il) {
        GgmlType bt = il.baseType();
        if (bt.rowMetaBytes() > 0) {
            checkRowScaled(il);
            return;
        }
        Random rnd = new Random(bt.id());
        int n = bt.blockSize() * 3, rows = il.rows() * 2;
        int blockBytes = bt.typeSize(), blocks = rows * 3;
        byte[] b = new byte[blocks * blockBytes];
        rnd.nextBytes(b);
        for (int blk = 0; blk < blocks && bt != GgmlType.MXFP4; blk++) { // MXFP4: every E8M0 byte is a finite scale
            short h = Fp16.floatToHalf((float) rnd.nextGaussian() * 0.01f);
            b[blockBytes * blk] = (byte) h;
            b[blockBytes * blk + 1] = (byte) (h >> 8);
        }
        float[] expected = new float[rows * n];
        for (int blk = 0; blk < blocks; blk++) IkReferenceDequant.block(bt, b, blockBytes * blk, expected, bt.blockSize() * blk);
        MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(il.groupBytes(n) * 2)]);
        TensorRepacker.repack(bt, il, MemorySegment.ofArray(b), packed, n, 0, 2);
        float[] got = new float[rows * n];
        TensorRepacker.dequantizeRows(il, packed, n, 0, rows, got, 0);
        assertArrayEquals(expected, got, il.packedType().ggmlName());
    }

    /** Base types Kiln reads but does not quantize without weights (the grid types): random blocks with a finite d. */
    private static void checkRandomBlocks(Interleaver il, RowCodec base) {
        GgmlType bt = il.baseType();
        int n = bt.blockSize() * 3, rows = il.rows() * 2;
        byte[] b = IqGridR4Test.randomBlocks(bt, rows * 3, new Random(bt.id()));
        float[] expected = new float[rows * n];
        base.dequantize(MemorySegment.ofArray(b), 0, expected, 0, rows * n);
        MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(il.groupBytes(n) * 2)]);
        TensorRepacker.repack(bt, il, MemorySegment.ofArray(b), packed, n, 0, 2);
        float[] got = new float[rows * n];
        TensorRepacker.dequantizeRows(il, packed, n, 0, rows, got, 0);
        assertArrayEquals(expected, got, il.packedType().ggmlName());
    }

    /** IQ4_KS / IQ5_KS: a float scale at the start of every row. */
    private static void checkRowScaled(Interleaver il) {
        GgmlType bt = il.baseType();
        Random rnd = new Random(bt.id());
        int n = 3 * 256, rows = il.rows() * 2;
        int rowBytes = Math.toIntExact(bt.rowSize(n));
        byte[] b = new byte[rows * rowBytes];
        rnd.nextBytes(b);
        for (int r = 0; r < rows; r++) {
            int bits = Float.floatToIntBits((float) rnd.nextGaussian() * 0.01f);
            for (int i = 0; i < 4; i++) b[r * rowBytes + i] = (byte) (bits >>> 8 * i);
        }
        float[] expected = new float[rows * n];
        for (int r = 0; r < rows; r++) IkReferenceDequant.ksRow(bt, b, r * rowBytes, expected, r * n, 3);
        MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(il.groupBytes(n) * 2)]);
        TensorRepacker.repack(bt, il, MemorySegment.ofArray(b), packed, n, 0, 2);
        float[] got = new float[rows * n];
        TensorRepacker.dequantizeRows(il, packed, n, 0, rows, got, 0);
        assertArrayEquals(expected, got, il.packedType().ggmlName());
        // the group starts with the 4 rows' float scales, in row order
        for (int k = 0; k < 4; k++) {
            assertEquals(MemorySegment.ofArray(b).get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, (long) k * rowBytes),
                    packed.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4L * k));
        }
    }

    @Test
    void q8kR8KeepsTheValuesWithAnFp16Scale() {
        Interleaver il = Interleavers.forPacked(GgmlType.Q8_K_R8);
        RowCodec q8k = Codecs.find(GgmlType.Q8_K);
        Random rnd = new Random(5);
        float[] x = new float[8 * 512];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        MemorySegment base = MemorySegment.ofArray(new byte[8 * 2 * 292]);
        for (int r = 0; r < 8; r++) q8k.quantize(x, r * 512, base, r * 584L, 512, null);
        MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(il.groupBytes(512))]);
        il.repack(base, 0, packed, 0, 512);
        float[] got = new float[8 * 512];
        il.dequantize(packed, 0, 512, got, 0);
        for (int r = 0; r < 8; r++) {
            for (int b = 0; b < 2; b++) {
                long blk = r * 584L + b * 292L;
                float d = Fp16.halfToFloat(Fp16.floatToHalf(base.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, blk)));
                for (int j = 0; j < 256; j++) {
                    assertEquals(d * base.get(java.lang.foreign.ValueLayout.JAVA_BYTE, blk + 4 + j), got[r * 512 + 256 * b + j]);
                }
            }
        }
    }

    @Test
    void q8kR8ScalarFormCanonicalizesToTheAvx2Form() {
        Interleaver il = Interleavers.forPacked(GgmlType.Q8_K_R8);
        Random rnd = new Random(9);
        byte[] g = new byte[2064];
        rnd.nextBytes(g);
        for (int k = 0; k < 8; k++) {
            g[2 * k] = (byte) 0x00;
            g[2 * k + 1] = (byte) 0x3C; // d = +1.0
        }
        for (int i = 16; i < g.length; i++) if (g[i] == Byte.MIN_VALUE) g[i] = 0;
        byte[] scalarForm = g.clone();
        for (int k = 0; k < 8; k += 2) { // rows 0, 2, 4, 6 as the scalar path writes them: d and quants negated
            scalarForm[2 * k + 1] = (byte) 0xBC;
            for (int j = 0; j < 64; j++) for (int i = 0; i < 4; i++) scalarForm[16 + 32 * j + 4 * k + i] = (byte) -g[16 + 32 * j + 4 * k + i];
        }
        float[] a = new float[8 * 256], b = new float[8 * 256];
        il.dequantize(MemorySegment.ofArray(g), 0, 256, a, 0);
        il.dequantize(MemorySegment.ofArray(scalarForm), 0, 256, b, 0);
        for (int i = 0; i < a.length; i++) assertEquals(0, Float.compare(Math.abs(a[i]), Math.abs(b[i])) | (a[i] == b[i] ? 0 : 1),
                "both forms read to the same values (up to the sign of zero) at " + i);
        assertEquals(4, Q8KForms.canonicalizeR8(MemorySegment.ofArray(scalarForm), 0, 256));
        assertArrayEquals(g, scalarForm);
    }

    @Test
    void q8kR16ReadsBothQuantForms() {
        Random rnd = new Random(3);
        byte[] base = new byte[16 * 292];
        rnd.nextBytes(base);
        for (int k = 0; k < 16; k++) { // d = 0.5f
            int bits = Float.floatToIntBits(0.5f);
            for (int b = 0; b < 4; b++) base[292 * k + b] = (byte) (bits >>> 8 * b);
        }
        Interleaver unsigned = Interleavers.q8kR16(true), signed = Interleavers.q8kR16(false);
        byte[] pu = new byte[16 * 258], ps = new byte[16 * 258];
        unsigned.repack(MemorySegment.ofArray(base), 0, MemorySegment.ofArray(pu), 0, 256);
        signed.repack(MemorySegment.ofArray(base), 0, MemorySegment.ofArray(ps), 0, 256);
        assertEquals((byte) (ps[32] ^ 0x80), pu[32]);
        float[] a = new float[16 * 256], b = new float[16 * 256];
        unsigned.dequantize(MemorySegment.ofArray(pu), 0, 256, a, 0);
        signed.dequantize(MemorySegment.ofArray(ps), 0, 256, b, 0);
        assertArrayEquals(a, b);
        assertEquals(0.5f * base[4], a[0]);
    }
}
