package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.grid.GridCodecs;
import kiln.tensor.codec.grid.Grids;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The grid types' four-row forms read as ik reads them: random base blocks are repacked by Kiln and decoded with ik's
 * {@code dequantize_row_iq2_xxs_r4} … {@code dequantize_row_iq3_s_r4} (transcribed below from iqk_quantize.cpp at
 * 8337e4cd as the oracle); the values must equal the base type's decoder on the unpacked blocks.
 */
class IqGridR4Test {

    static byte[] randomBlocks(GgmlType type, int blocks, Random rnd) {
        int size = type.typeSize();
        byte[] b = new byte[blocks * size];
        rnd.nextBytes(b);
        for (int i = 0; i < blocks; i++) {
            short h = Fp16.floatToHalf((float) Math.abs(rnd.nextGaussian()) * 0.01f + 1e-4f);
            b[i * size] = (byte) h;
            b[i * size + 1] = (byte) (h >> 8);
        }
        return b;
    }

    @TestFactory
    List<DynamicTest> iksR4DequantizationReadsKilnsRepack() {
        List<DynamicTest> tests = new ArrayList<>();
        for (IqGridR4 il : List.of(IqGridR4.iq2xxs(), IqGridR4.iq2xs(), IqGridR4.iq2s(), IqGridR4.iq3xxs(), IqGridR4.iq3s())) {
            tests.add(DynamicTest.dynamicTest(il.packedType().ggmlName(), () -> {
                GgmlType bt = il.baseType();
                int nb = 3, n = 256 * nb;
                byte[] base = randomBlocks(bt, 4 * nb, new Random(bt.id() * 7L));
                float[] expected = new float[4 * n];
                for (int blk = 0; blk < 4 * nb; blk++) GridCodecs.decodeBlock(bt, base, blk * bt.typeSize(), expected, 256 * blk);
                byte[] packed = new byte[Math.toIntExact(il.groupBytes(n))];
                il.repack(MemorySegment.ofArray(base), 0, MemorySegment.ofArray(packed), 0, n);
                float[] ik = new float[4 * n];
                for (int ibl = 0; ibl < nb; ibl++) ikDequantize(il.packedType(), packed, ibl * 4 * bt.typeSize(), ik, n, ibl);
                assertArrayEquals(expected, ik, il.packedType().ggmlName());
            }));
        }
        return tests;
    }

    @Test
    void scrambledSignsMatchIksTable() {
        // the first and last rows of scrambled_sign's k_table
        int[] first = {0x00, 0x7f, 0x7e, 0x01, 0x7c, 0x03, 0x02, 0x7d, 0x78, 0x07, 0x06, 0x79, 0x04, 0x7b, 0x7a, 0x05};
        int[] last = {0x50, 0x2f, 0x2e, 0x51, 0x2c, 0x53, 0x52, 0x2d, 0x28, 0x57, 0x56, 0x29, 0x54, 0x2b, 0x2a, 0x55};
        for (int i = 0; i < 16; i++) {
            assertEquals(first[i], IqGridR4.scramble(i), "s=" + i);
            assertEquals(last[i], IqGridR4.scramble(112 + i), "s=" + (112 + i));
        }
        for (int s = 0; s < 128; s++) assertEquals(s, IqGridR4.unscramble(IqGridR4.scramble(s)));
    }

    /** One 256-column block of the 4 rows: row k's values into y[k*n + 256*ibl ...]. */
    private static void ikDequantize(GgmlType t, byte[] x, int o, float[] y, int n, int ibl) {
        for (int k = 0; k < 4; k++) {
            float d = Fp16.halfToFloat((short) ((x[o + 2 * k] & 0xFF) | (x[o + 2 * k + 1] << 8)));
            int yo = k * n + 256 * ibl;
            switch (t) {
                case IQ2_XXS_R4, IQ3_XXS_R4 -> {
                    boolean three = t == GgmlType.IQ3_XXS_R4;
                    float dk = (three ? 0.25f : 0.125f) * d;
                    for (int ib = 0; ib < 8; ib++) {
                        int aux = i32(x, o + 8 + 4 * (4 * ib + k));
                        int s32 = aux & 0x01010101;
                        int scale = (s32 & 1) | ((s32 >> 8) & 1) << 1 | ((s32 >> 16) & 1) << 2 | ((s32 >> 24) & 1) << 3;
                        float dl = dk * (2 * scale + 1);
                        aux &= 0xfefefefe;
                        aux ^= (aux >>> 1);
                        for (int i = 0; i < (three ? 8 : 4); i++) {
                            int idx = x[o + 136 + (three ? 32 * ib + 8 * k + i : 16 * ib + 4 * k + i)] & 0xFF;
                            int w = three ? 4 : 8;
                            for (int j = 0; j < w; j++) {
                                int v = three ? Grids.IQ3_XXS[4 * idx + j] : Grids.IQ2_XXS[8 * idx + j];
                                y[yo + 32 * ib + w * i + j] = dl * v * ((aux & (1 << j)) != 0 ? -1 : 1);
                            }
                            aux >>>= w;
                        }
                    }
                }
                case IQ2_XS_R4, IQ2_S_R4 -> {
                    boolean s = t == GgmlType.IQ2_S_R4;
                    float dk = 0.125f * d;
                    for (int ib = 0; ib < 8; ib++) {
                        int sc = x[o + (s ? 296 : 264) + 4 * ib + k] & 0xFF;
                        float dl1 = dk * (2 * (sc & 0xf) + 1), dl2 = dk * (2 * (sc >> 4) + 1);
                        for (int i = 0; i < 4; i++) {
                            int idx, signs;
                            if (s) {
                                idx = (x[o + 8 + 16 * ib + 4 * k + i] & 0xFF) | (((x[o + 136 + 4 * ib + k] & 0xFF) << (8 - 2 * i)) & 0x300);
                                signs = x[o + 168 + 16 * ib + 4 * k + i] & 0xFF;
                            } else {
                                int q = u16(x, o + 8 + 2 * (16 * ib + 4 * k + i));
                                idx = q & 511;
                                signs = q >> 9;
                                signs ^= (signs << 1);
                            }
                            float dl = i < 2 ? dl1 : dl2;
                            byte[] grid = s ? Grids.IQ2_S : Grids.IQ2_XS;
                            for (int j = 0; j < 8; j++) y[yo + 32 * ib + 8 * i + j] = dl * grid[8 * idx + j] * ((signs & (1 << j)) != 0 ? -1 : 1);
                        }
                    }
                }
                case IQ3_S_R4 -> {
                    for (int ib = 0; ib < 8; ib++) {
                        int l = 4 * ib + k;
                        float dl = d * (1 + 2 * (((x[o + 424 + l % 16] & 0xFF) >> 4 * (l / 16)) & 0xf));
                        int qh = x[o + 264 + 4 * ib + k] & 0xFF;
                        for (int i = 0; i < 4; i++) {
                            int g1 = (x[o + 8 + 32 * ib + k + 8 * i] & 0xFF) + ((qh << (8 - i)) & 0x100);
                            int g2 = (x[o + 8 + 32 * ib + k + 8 * i + 4] & 0xFF) + ((qh << (4 - i)) & 0x100);
                            for (int j = 0; j < 4; j++) {
                                int sg = x[o + 296 + 16 * ib + 4 * k + j] & 0xFF;
                                y[yo + 32 * ib + 4 * i + j] = dl * Grids.IQ3_S[4 * g1 + j] * ((sg & (1 << i)) != 0 ? -1 : 1);
                                y[yo + 32 * ib + 4 * i + 16 + j] = dl * Grids.IQ3_S[4 * g2 + j] * ((sg & (1 << (i + 4))) != 0 ? -1 : 1);
                            }
                        }
                    }
                }
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static int i32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }
}
