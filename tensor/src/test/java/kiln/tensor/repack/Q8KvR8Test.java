package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Q8_KV_R8 without fixtures: the sizes ik defines, repack then undo on synthetic Q8_KV rows (quantized by Kiln's Q8_KV
 * codec, and raw quants with their sums), undo then repack on arbitrary bytes, the layout of {@code repack_q8_KV},
 * and dequantization equal to the Q8_KV codec's.
 */
class Q8KvR8Test {
    private static final Interleaver IL = Interleavers.forPacked(GgmlType.Q8_KV_R8);
    private static final RowCodec Q8_KV = Codecs.find(GgmlType.Q8_KV, Flavor.IK);

    @Test
    void sizesAreIks() {
        assertSame(GgmlType.Q8_KV, IL.baseType());
        assertEquals(8, IL.rows());
        assertSame(IL, Interleavers.forBase(GgmlType.Q8_KV));
        assertEquals(GgmlType.Q8_KV_R8, Interleavers.ikRepackTarget(GgmlType.Q8_KV, false));
        // ggml_row_size: 4 bytes of row metadata (the scale) + 1 byte per value; Q8_KV's row also has the sum
        assertEquals(4 + 256, GgmlType.Q8_KV_R8.rowSize(256));
        assertEquals(8 * (8 + 256), IL.baseGroupBytes(256));
        assertEquals(32 + 8 * 256, IL.groupBytes(256));
    }

    /** Rows as ik's quantize_q8_KV writes them: rows of random values, a zero row and a row of one huge value. */
    private static byte[] quantizedRows(int rows, int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) {
            int row = i / n;
            x[i] = row == 1 ? 0f : row == 2 && i % n == 5 ? 3e30f : row == 2 ? 0f : (float) (rnd.nextGaussian() * Math.exp(-row));
        }
        long rowBytes = GgmlType.Q8_KV.rowSize(n);
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes * rows)]);
        for (int r = 0; r < rows; r++) Q8_KV.quantize(x, r * n, seg, r * rowBytes, n, null);
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Random quants and scales, each row's sum set to the sum of its quants (what a Q8_KV row always holds). */
    private static byte[] randomRows(int rows, int n, long seed) {
        Random rnd = new Random(seed);
        int rowBytes = 8 + n;
        byte[] b = new byte[rows * rowBytes];
        rnd.nextBytes(b);
        for (int r = 0; r < rows; r++) {
            int sum = 0;
            for (int j = 0; j < n; j++) sum += b[r * rowBytes + 8 + j];
            for (int i = 0; i < 4; i++) b[r * rowBytes + 4 + i] = (byte) (sum >>> 8 * i);
        }
        return b;
    }

    private static byte[] repack(byte[] base, int n, int groups) {
        byte[] packed = new byte[Math.toIntExact(IL.groupBytes(n) * groups)];
        TensorRepacker.repack(GgmlType.Q8_KV, IL, MemorySegment.ofArray(base), MemorySegment.ofArray(packed), n, 0, groups);
        return packed;
    }

    private static byte[] unpack(byte[] packed, int n, int groups) {
        byte[] base = new byte[Math.toIntExact(IL.baseGroupBytes(n) * groups)];
        TensorRepacker.unpack(IL, MemorySegment.ofArray(packed), MemorySegment.ofArray(base), n, 0, groups);
        return base;
    }

    @Test
    void repackThenUndoGivesTheRowsBack() {
        for (int n : new int[] {32, 96, 4096}) {
            for (byte[] base : new byte[][] {quantizedRows(24, n, n), randomRows(24, n, ~n)}) {
                byte[] packed = repack(base, n, 3);
                assertNotEquals(Arrays.hashCode(Arrays.copyOf(base, packed.length)), Arrays.hashCode(packed), "repack changed nothing");
                assertArrayEquals(base, unpack(packed, n, 3), "n=" + n);
            }
        }
    }

    @Test
    void undoThenRepackIsIdentityOnAnyBytes() {
        Random rnd = new Random(398);
        for (int n : new int[] {32, 160}) {
            byte[] packed = new byte[Math.toIntExact(IL.groupBytes(n) * 2)];
            rnd.nextBytes(packed);
            assertArrayEquals(packed, repack(unpack(packed, n, 2), n, 2), "n=" + n);
        }
    }

    @Test
    void layoutIsRepackQ8Kv() {
        // 8 rows of 32 values: d = row index, q[j] = 32·row + j (wrapping as a byte)
        int n = 32;
        byte[] base = new byte[8 * (8 + n)];
        for (int k = 0; k < 8; k++) {
            MemorySegment.ofArray(base).set(ValueLayout.JAVA_FLOAT_UNALIGNED, k * (8 + n), k);
            for (int j = 0; j < n; j++) base[k * (8 + n) + 8 + j] = (byte) (32 * k + j);
        }
        byte[] y = repack(base, n, 1);
        for (int k = 0; k < 8; k++) assertEquals((float) k, MemorySegment.ofArray(y).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * k));
        // qy[128·ib + 32·l + 4·k + i] = row_k.q[16·ib + 4·l + i]
        for (int ib = 0; ib < 2; ib++) {
            for (int l = 0; l < 4; l++) {
                for (int k = 0; k < 8; k++) {
                    for (int i = 0; i < 4; i++) assertEquals((byte) (32 * k + 16 * ib + 4 * l + i), y[32 + 128 * ib + 32 * l + 4 * k + i]);
                }
            }
        }
    }

    @Test
    void dequantizeEqualsTheQ8KvCodec() {
        int n = 256, rows = 16;
        byte[] base = quantizedRows(rows, n, 7);
        long rowBytes = GgmlType.Q8_KV.rowSize(n);
        float[] expected = new float[rows * n];
        for (int r = 0; r < rows; r++) Q8_KV.dequantize(MemorySegment.ofArray(base), r * rowBytes, expected, r * n, n);
        float[] got = new float[rows * n];
        TensorRepacker.dequantizeRows(IL, MemorySegment.ofArray(repack(base, n, 2)), n, 0, rows, got, 0);
        assertArrayEquals(expected, got);
    }
}
