package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Repack and unpack are exact inverses on every bit pattern, for every exact interleaved type (the types whose repack
 * drops the base rows' sums, Q8_K_R8/R16 and Q8_KV_R8, are exact only on rows whose sums are right: {@link Q8KvR8Test}).
 */
class InterleaverRoundTripTest {

    static List<Interleaver> exact() {
        List<Interleaver> out = new ArrayList<>();
        for (GgmlType t : Interleavers.supported()) {
            if (t != GgmlType.Q8_K_R8 && t != GgmlType.Q8_K_R16 && t != GgmlType.Q8_KV_R8) out.add(Interleavers.forPacked(t));
        }
        return out;
    }

    /** Row lengths: one block column and several (for BF16_R16 the block is 2 elements). */
    static long[] rowLengths(Interleaver il) {
        long b = il.packedType().blockSize() == 1 ? 2 : il.packedType().blockSize();
        return new long[] {b, 3 * b, 256 * Math.max(1, 32 / b)};
    }

    @TestFactory
    List<DynamicTest> repackThenUnpackIsIdentity() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Interleaver il : exact()) {
            tests.add(DynamicTest.dynamicTest(il.packedType().ggmlName(), () -> {
                Random rnd = new Random(il.packedType().id());
                for (long n : rowLengths(il)) {
                    int groups = 3;
                    byte[] base = new byte[Math.toIntExact(il.baseGroupBytes(n) * groups)];
                    rnd.nextBytes(base);
                    byte[] packed = new byte[Math.toIntExact(il.groupBytes(n) * groups)];
                    byte[] back = new byte[base.length];
                    TensorRepacker.repack(il.baseType(), il, MemorySegment.ofArray(base), MemorySegment.ofArray(packed), n, 0, groups);
                    TensorRepacker.unpack(il, MemorySegment.ofArray(packed), MemorySegment.ofArray(back), n, 0, groups);
                    assertArrayEquals(base, back, il.packedType().ggmlName() + " n=" + n);
                    if (n > rowLengths(il)[0]) assertNotEquals(java.util.Arrays.hashCode(base), java.util.Arrays.hashCode(packed), "repack changed nothing");
                }
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> unpackThenRepackIsIdentity() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Interleaver il : exact()) {
            tests.add(DynamicTest.dynamicTest(il.packedType().ggmlName(), () -> {
                Random rnd = new Random(~il.packedType().id());
                for (long n : rowLengths(il)) {
                    byte[] packed = new byte[Math.toIntExact(il.groupBytes(n) * 2)];
                    rnd.nextBytes(packed);
                    byte[] base = new byte[Math.toIntExact(il.baseGroupBytes(n) * 2)];
                    byte[] back = new byte[packed.length];
                    TensorRepacker.unpack(il, MemorySegment.ofArray(packed), MemorySegment.ofArray(base), n, 0, 2);
                    TensorRepacker.repack(il.baseType(), il, MemorySegment.ofArray(base), MemorySegment.ofArray(back), n, 0, 2);
                    assertArrayEquals(packed, back, il.packedType().ggmlName() + " n=" + n);
                }
            }));
        }
        return tests;
    }

    @Test
    void q4_0_r8LayoutMatchesTheSpec() {
        // 8 rows of one Q4_0 block: d = row index, qs[j] = 16*row + j
        byte[] base = new byte[8 * 18];
        for (int k = 0; k < 8; k++) {
            base[18 * k] = (byte) k;
            for (int j = 0; j < 16; j++) base[18 * k + 2 + j] = (byte) (16 * k + j);
        }
        byte[] packed = new byte[144];
        Interleavers.forPacked(GgmlType.Q4_0_R8).repack(MemorySegment.ofArray(base), 0, MemorySegment.ofArray(packed), 0, 32);
        for (int k = 0; k < 8; k++) assertEquals(k, packed[2 * k]);
        // qs[32l + 4k + i] = row_k.qs[4l + i]
        for (int l = 0; l < 4; l++) {
            for (int k = 0; k < 8; k++) {
                for (int i = 0; i < 4; i++) assertEquals((byte) (16 * k + 4 * l + i), packed[16 + 32 * l + 4 * k + i]);
            }
        }
    }

    @Test
    void q6_0_r4LayoutMatchesTheSpec() {
        // 4 rows of one Q6_0 block whose element e of row k has the 6-bit value (e + 7k) & 63
        byte[] base = new byte[4 * 26];
        for (int k = 0; k < 4; k++) {
            int r = 26 * k;
            for (int j = 0; j < 16; j++) {
                int a = (j + 7 * k) & 63, b = (j + 16 + 7 * k) & 63;
                base[r + 10 + j] = (byte) ((a & 15) | (b & 15) << 4);
                base[r + 2 + j % 8] |= (byte) (((a >> 4) | (b >> 4) << 2) << 4 * (j / 8));
            }
        }
        byte[] y = new byte[104];
        Interleavers.forPacked(GgmlType.Q6_0_R4).repack(MemorySegment.ofArray(base), 0, MemorySegment.ofArray(y), 0, 32);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 4; i++) {
                // spec: qs in N4 order; qh[4k+i] pairs = top bits of i, i+4, i+8, i+12; qh[4k+i+16] of 16+i, 20+i, 24+i, 28+i
                int lo = y[40 + 4 * k + i] & 0xFF;
                assertEquals(((i + 7 * k) & 15) | (((i + 8 + 7 * k) & 63) & 15) << 4, lo);
                int h0 = y[8 + 4 * k + i] & 0xFF, h1 = y[24 + 4 * k + i] & 0xFF;
                for (int p = 0; p < 4; p++) {
                    assertEquals(((i + 4 * p + 7 * k) & 63) >> 4, (h0 >> 2 * p) & 3);
                    assertEquals(((16 + i + 4 * p + 7 * k) & 63) >> 4, (h1 >> 2 * p) & 3);
                }
            }
        }
    }

    @Test
    void f16IsTruncatedToBf16LikeIk() {
        Interleaver il = Interleavers.forPacked(GgmlType.BF16_R16);
        // 16 rows x 2 columns of f16; 0x3C01 = 1.0009766 → f32 0x3F802000 → bf16 truncated 0x3F80 (rounding would also give 0x3F80),
        // 0x3BFF = 0.99951 → f32 0x3F7FE000 → truncation 0x3F7F (round-to-nearest-even would give 0x3F80)
        byte[] f16 = new byte[16 * 2 * 2];
        for (int i = 0; i < 32; i++) {
            short h = (short) (i % 2 == 0 ? 0x3C01 : 0x3BFF);
            f16[2 * i] = (byte) h;
            f16[2 * i + 1] = (byte) (h >> 8);
        }
        byte[] packed = new byte[64];
        TensorRepacker.repack(GgmlType.F16, il, MemorySegment.ofArray(f16), MemorySegment.ofArray(packed), 2, 0, 1);
        assertEquals((byte) 0x80, packed[0]);
        assertEquals((byte) 0x3F, packed[1]);
        assertEquals((byte) 0x7F, packed[2]);
        assertEquals((byte) 0x3F, packed[3]);
    }

    @Test
    void ikRepackRuleLooksAtNe1AndTheTokenEmbeddings() {
        assertEquals(GgmlType.Q8_0_R8, Interleavers.ikRepackedType("blk.0.ffn_up.weight", GgmlType.Q8_0, new long[] {32, 16}, true));
        assertNull(Interleavers.ikRepackedType("blk.0.ffn_up.weight", GgmlType.Q8_0, new long[] {32, 12}, true));
        // 3-D: ne1 = 4 is not a multiple of 8 even though ne1*ne2 = 8 is
        assertNull(Interleavers.ikRepackedType("blk.1.ffn_up_exps.weight", GgmlType.Q8_0, new long[] {32, 4, 2}, true));
        assertEquals(GgmlType.Q4_K_R4, Interleavers.ikRepackedType("x", GgmlType.Q4_K, new long[] {256, 4, 3}, true));
        assertNull(Interleavers.ikRepackedType("token_embd.weight", GgmlType.Q4_K, new long[] {256, 8}, true));
        assertNull(Interleavers.ikRepackedType("per_layer_token_embd.weight", GgmlType.Q4_K, new long[] {256, 8}, true));
        assertNull(Interleavers.ikRepackedType("output_norm.weight", GgmlType.F32, new long[] {256}, true));
        assertEquals(GgmlType.BF16_R16, Interleavers.ikRepackedType("x", GgmlType.BF16, new long[] {2, 16}, true));
        assertNull(Interleavers.ikRepackedType("x", GgmlType.BF16, new long[] {2, 16}, false));
        assertNull(Interleavers.ikRepackedType("x", GgmlType.Q4_1, new long[] {32, 16}, true));
    }
}
