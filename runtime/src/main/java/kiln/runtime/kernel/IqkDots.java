package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.ik.IqkTables;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Vector kernels of ik's IQ2_K, IQ3_K, IQ4_K, IQ5_K and the row-scaled IQ2_KS, IQ3_KS, IQ4_KS, IQ5_KS (and, with the block
 * decoders of {@link GridLevels}, {@link TrellisLevels} and {@link IkTableLevels}, of the i-quant grid types, the trellis
 * types, IQ6_K, IQ4_KSS and IQ2_KL): every 256-value block is first
 * decoded to its 256 int8 levels and 16 float scales (one per 16 values) with byte-lane operations — the indices pulled
 * from the packed bits, looked up in the type's table with one byte shuffle, the block's shifted table being the plain
 * one plus a constant — and then one shared loop widens the levels to floats: against x for generation
 * ({@link #dot}), times the scale for prompt rows ({@link #row}). The scalar oracle is each type's codec in
 * {@code kiln.tensor.codec.ik} ({@code dequantize_row_iq*_k}, {@code _ks}); {@code LookupKernelsTest} checks both against
 * it at both widths.
 */
final class IqkDots {
    private IqkDots() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /**
     * Decodes block {@code o} of the staged row into 256 levels at {@code lv[lo..]} and 16 scales at {@code sc[0..16)};
     * {@code rowScale}: the row's scale (the KS types; f32 or fp16 as {@link Type#rowMeta} says), else unused.
     */
    interface Block {
        void decode(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc);
    }

    /** One type: the bytes before its first block (the KS types' row scale: 4 = f32, 2 = fp16), its block size and decoder. */
    record Type(int rowMeta, int blockBytes, Block block) {}

    static Type of(GgmlType t) {
        return switch (t) {
            case IQ2_K -> new Type(0, 76, IqkDots::iq2k);
            case IQ3_K -> new Type(0, 110, IqkDots::iq3k);
            case IQ4_K -> new Type(0, 144, IqkDots::iq4k);
            case IQ5_K -> new Type(0, 176, IqkDots::iq5k);
            case IQ4_KS -> new Type(4, 136, IqkDots::iq4ks);
            case IQ5_KS -> new Type(4, 168, IqkDots::iq5ks);
            case IQ2_KS -> new Type(2, 70, IqkDots::iq2ks);
            case IQ3_KS -> new Type(2, 102, IqkDots::iq3ks);
            case IQ2_XXS -> new Type(0, 66, GridLevels::iq2xxs);
            case IQ2_XS -> new Type(0, 74, GridLevels::iq2xs);
            case IQ2_S -> new Type(0, 82, GridLevels::iq2s);
            case IQ3_XXS -> new Type(0, 98, GridLevels::iq3xxs);
            case IQ3_S -> new Type(0, 110, GridLevels::iq3s);
            case IQ1_S -> new Type(0, 50, GridLevels::iq1s);
            case IQ1_M -> new Type(0, 56, GridLevels::iq1m);
            case IQ1_KT -> trellis(t, 56, TrellisLevels::iq1kt);
            case IQ2_KT -> trellis(t, 68, TrellisLevels::iq2kt);
            case IQ3_KT -> trellis(t, 100, TrellisLevels::iq3kt);
            case IQ4_KT -> trellis(t, 128, TrellisLevels::iq4kt);
            case IQ6_K -> new Type(0, 212, IkTableLevels::iq6k);
            case IQ4_KSS -> new Type(4, 128, IkTableLevels::iq4kss);
            case IQ2_KL -> new Type(2, 86, IkTableLevels::iq2kl);
            default -> null;
        };
    }

    /** A trellis type: an f32 row scale, times ik's kernel factor for the type ({@code IkKernelCodecs}). */
    private static Type trellis(GgmlType t, int blockBytes, Block block) {
        float factor = kiln.tensor.codec.ik.IkKernelCodecs.rowScaleFactor(t);
        return new Type(4, blockBytes, (b, o, d, lv, lo, sc) -> block.decode(b, o, d * factor, lv, lo, sc));
    }

    private static float rowScale(Type type, byte[] stage) {
        return switch (type.rowMeta()) {
            case 4 -> Float.intBitsToFloat((stage[0] & 0xFF) | (stage[1] & 0xFF) << 8 | (stage[2] & 0xFF) << 16 | stage[3] << 24);
            case 2 -> f16(stage, 0);
            default -> 0;
        };
    }

    /** Whether this width runs these kernels (the level loop widens 16 bytes to 8- or 16-lane floats). */
    static boolean supported() {
        return L == 8 || L == 16;
    }

    /**
     * Row · x: stage holds the row, then one block's 256 levels (within {@link KQuantDots#scratchSize}'s 336 bytes
     * beyond the row); scales: 16 floats of scratch.
     */
    static float dot(Type type, MemorySegment seg, long off, float[] x, int xo, int cols, byte[] stage, float[] scales) {
        int nb = cols / 256, size = type.blockBytes(), meta = type.rowMeta(), lo = meta + nb * size;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, stage, 0, lo);
        float d = rowScale(type, stage);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            type.block().decode(stage, meta + b * size, d, stage, lo, scales);
            int xb = xo + 256 * b;
            // written out here, not in a helper: a helper returning a vector that C2 did not inline boxed it
            for (int g = 0; g < 16; g++) {
                ByteVector v = ByteVector.fromArray(B16, stage, lo + 16 * g);
                FloatVector s = FloatVector.zero(F);
                for (int part = 0; part < 16 / L; part++) {
                    s = ((FloatVector) v.convertShape(VectorOperators.B2F, F, part)).fma(FloatVector.fromArray(F, x, xb + 16 * g + L * part), s);
                }
                acc = s.fma(FloatVector.broadcast(F, scales[g]), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static final ThreadLocal<float[]> ROW_SCALES = ThreadLocal.withInitial(() -> new float[16]);

    /** The row dequantized into dst[0..cols) (prompt batches): the values of {@link #dot}'s levels times their scales. */
    static void row(Type type, MemorySegment seg, long off, int cols, byte[] stage, float[] dst) {
        int nb = cols / 256, size = type.blockBytes(), meta = type.rowMeta(), lo = meta + nb * size;
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, stage, 0, lo);
        float d = rowScale(type, stage);
        float[] sc = ROW_SCALES.get();
        for (int b = 0; b < nb; b++) {
            type.block().decode(stage, meta + b * size, d, stage, lo, sc);
            for (int g = 0; g < 16; g++) {
                ByteVector v = ByteVector.fromArray(B16, stage, lo + 16 * g);
                FloatVector s = FloatVector.broadcast(F, sc[g]);
                for (int part = 0; part < 16 / L; part++) {
                    ((FloatVector) v.convertShape(VectorOperators.B2F, F, part)).mul(s).intoArray(dst, 256 * b + 16 * g + L * part);
                }
            }
        }
    }

    // ---- the block decoders (layouts: ik's ggml-common.h; arithmetic: dequantize_row_iq*_k) ----

    private static final ByteVector IQ2_TABLE = table16(GgmlType.IQ2_K), IQ3_TABLE = table16(GgmlType.IQ3_K),
            IQ4_TABLE = table16(GgmlType.IQ4_K);
    private static final ByteVector ZERO = ByteVector.zero(B16);
    private static final ByteVector IQ5_LOW = ByteVector.fromArray(B16, IqkTables.plain(GgmlType.IQ5_K), 0),
            IQ5_HIGH = ByteVector.fromArray(B16, IqkTables.plain(GgmlType.IQ5_K), 16);
    private static final byte IQ2_SHIFT = (byte) IqkTables.shift(GgmlType.IQ2_K), IQ3_SHIFT = (byte) IqkTables.shift(GgmlType.IQ3_K),
            IQ4_SHIFT = (byte) IqkTables.shift(GgmlType.IQ4_K), IQ5_SHIFT = (byte) IqkTables.shift(GgmlType.IQ5_K);

    /** A type's plain levels in the first lanes of a 16-lane table (the rest zero). */
    private static ByteVector table16(GgmlType t) {
        byte[] lanes = new byte[16];
        byte[] plain = IqkTables.plain(t);
        System.arraycopy(plain, 0, lanes, 0, plain.length);
        return ByteVector.fromArray(B16, lanes, 0);
    }

    private static float f16(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    private static int u8(byte[] b, int o) {
        return b[o] & 0xFF;
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    /** Bytes shifted right by {@code bits} (per byte: via 16-bit lanes; the caller masks what crossed over). */
    private static ByteVector shr(ByteVector v, int bits) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bits).reinterpretAsBytes();
    }

    /** The table's shift when bit 0 of {@code shifted} is set, else 0 — without a branch (the bits are data). */
    private static byte shiftIf(int shifted, byte shift) {
        return (byte) ((shifted & 1) * shift);
    }

    // The lookups of 16 values. Each loads, extracts, looks up and stores in one method whose parameters are all
    // scalars: a vector passed to or returned from a call that C2 does not inline is boxed, and the larger decoders
    // were not fully inlined (JMH -prof gc showed 1.5 KB allocated per block, and 5x the time). No branch either: a
    // branch on the extra bits mispredicted once per 16 values and cost more than the lookup.

    /** IQ2_K: 2-bit indices at bit {@code shift} of b[q..q+16). */
    private static void iq2Levels(byte[] b, int q, int shift, int shifted, byte[] lv, int o) {
        ByteVector idx = shr(ByteVector.fromArray(B16, b, q), shift).and((byte) 3);
        idx.selectFrom(IQ2_TABLE).add(shiftIf(shifted, IQ2_SHIFT)).intoArray(lv, o);
    }

    /** IQ3_K: 2 low index bits at bit {@code shift} of b[q..], the 3rd at bit {@code hBit} of b[h..]. */
    private static void iq3Levels(byte[] b, int q, int shift, int h, int hBit, int shifted, byte[] lv, int o) {
        ByteVector high = shr(ByteVector.fromArray(B16, b, h), hBit).and((byte) 1), twice = high.add(high);
        ByteVector idx = shr(ByteVector.fromArray(B16, b, q), shift).and((byte) 3).add(twice.add(twice)); // + 4·bit
        idx.selectFrom(IQ3_TABLE).add(shiftIf(shifted, IQ3_SHIFT)).intoArray(lv, o);
    }

    /** IQ4_K: 4-bit indices at bit {@code shift} (0 or 4) of b[q..q+16). */
    private static void iq4Levels(byte[] b, int q, int shift, int shifted, byte[] lv, int o) {
        ByteVector idx = shr(ByteVector.fromArray(B16, b, q), shift).and((byte) 0xf);
        idx.selectFrom(IQ4_TABLE).add(shiftIf(shifted, IQ4_SHIFT)).intoArray(lv, o);
    }

    /**
     * IQ5_K: 4 low index bits at bit {@code shift} of b[q..], the 5th at bit {@code hBit} of b[h..], looked up in the
     * 32-level table as two 16-lane lookups: the high half's level where the 5th bit is set (0 - bit is then an
     * all-ones byte). Masks and 32-lane byte shuffles measured slower, and {@code selectFrom} 1.9-2.5x faster than
     * {@code rearrange(idx.toShuffle())} for IQ3_K/IQ5_K (JMH, 512-bit).
     */
    private static void iq5Levels(byte[] b, int q, int shift, int h, int hBit, int shifted, byte[] lv, int o) {
        ByteVector idx = shr(ByteVector.fromArray(B16, b, q), shift).and((byte) 0xf);
        ByteVector fifth = shr(ByteVector.fromArray(B16, b, h), hBit).and((byte) 1);
        ByteVector low = idx.selectFrom(IQ5_LOW), high = idx.selectFrom(IQ5_HIGH);
        low.add(high.sub(low).and(ZERO.sub(fifth))).add(shiftIf(shifted, IQ5_SHIFT)).intoArray(lv, o);
    }

    /** IQ2_K, 76 bytes: d, extra, scales[8] (two 4-bit scales - 8), qs[64] (2-bit indices, 4 per byte). */
    private static void iq2k(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = f16(b, o);
        int extra = u16(b, o + 2);
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(b, o + 4 + ib);
            sc[2 * ib] = d * ((s & 0xf) - 8);
            sc[2 * ib + 1] = d * ((s >> 4) - 8);
            int q = o + 12 + 32 * (ib / 4), shift = 2 * (ib % 4);
            iq2Levels(b, q, shift, extra >> 2 * ib, lv, lo + 32 * ib);
            iq2Levels(b, q + 16, shift, extra >> 2 * ib + 1, lv, lo + 32 * ib + 16);
        }
    }

    /** IQ3_K, 110 bytes: d, extra, scales_h (sign bits), scales_l[8] (odd 4-bit magnitudes), qs[64] (2 low bits), qh[32] (3rd bit). */
    private static void iq3k(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = f16(b, o);
        int extra = u16(b, o + 2), sh = u16(b, o + 4);
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(b, o + 6 + ib);
            sc[2 * ib] = d * ((2 * (s & 0xf) + 1) * (1 - 2 * (sh >> 2 * ib & 1)));
            sc[2 * ib + 1] = d * ((2 * (s >> 4) + 1) * (1 - 2 * (sh >> 2 * ib + 1 & 1)));
            int q = o + 14 + 32 * (ib / 4), shift = 2 * (ib % 4);
            iq3Levels(b, q, shift, o + 78, ib, extra >> 2 * ib, lv, lo + 32 * ib);
            iq3Levels(b, q + 16, shift, o + 94, ib, extra >> 2 * ib + 1, lv, lo + 32 * ib + 16);
        }
    }

    /** IQ4_K, 144 bytes: d, extra, scales_h[4] (2 high bits), scales_l[8] (4 low bits; 6-bit scales - 32), qs[128] (nibbles). */
    private static void iq4k(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = f16(b, o);
        int extra = u16(b, o + 2);
        for (int ib = 0; ib < 8; ib++) {
            int sh = u8(b, o + 4 + ib / 2) >> 4 * (ib % 2), sl = u8(b, o + 8 + ib);
            sc[2 * ib] = d * (((sl & 0xf) | ((sh << 4) & 0x30)) - 32);
            sc[2 * ib + 1] = d * (((sl >> 4) | ((sh << 2) & 0x30)) - 32);
            iq4Levels(b, o + 16 + 16 * ib, 0, extra >> 2 * ib, lv, lo + 32 * ib);
            iq4Levels(b, o + 16 + 16 * ib, 4, extra >> 2 * ib + 1, lv, lo + 32 * ib + 16);
        }
    }

    /** IQ5_K, 176 bytes: d, extra, scales_h[4], scales_l[8] (6-bit scales - 32), qs[128] (low nibbles), qh[32] (5th bits). */
    private static void iq5k(byte[] b, int o, float rowScale, byte[] lv, int lo, float[] sc) {
        float d = f16(b, o);
        int extra = u16(b, o + 2);
        for (int ib = 0; ib < 4; ib++) {
            int sl0 = u8(b, o + 8 + 2 * ib), sl1 = u8(b, o + 9 + 2 * ib), sh = u8(b, o + 4 + ib);
            sc[4 * ib] = d * (((sl0 & 0xf) | ((sh << 4) & 0x30)) - 32);
            sc[4 * ib + 1] = d * (((sl0 >> 4) | ((sh << 2) & 0x30)) - 32);
            sc[4 * ib + 2] = d * (((sl1 & 0xf) | (sh & 0x30)) - 32);
            sc[4 * ib + 3] = d * (((sl1 >> 4) | ((sh >> 2) & 0x30)) - 32);
            int q = o + 16 + 32 * ib, shift = 2 * ib, e = extra >> 4 * ib;
            // the 5th bits: bit shift of qh (low nibbles), bit shift + 1 (high nibbles)
            iq5Levels(b, q, 0, o + 144, shift, e, lv, lo + 64 * ib);
            iq5Levels(b, q + 16, 0, o + 160, shift, e >> 1, lv, lo + 64 * ib + 16);
            iq5Levels(b, q, 4, o + 144, shift + 1, e >> 2, lv, lo + 64 * ib + 32);
            iq5Levels(b, q + 16, 4, o + 160, shift + 1, e >> 3, lv, lo + 64 * ib + 48);
        }
    }

    /** IQ4_KS, after the row's f32 scale d, 136 bytes: scales[8] (bit 0: shifted table; bits 1..7: scale + 127), qs[128] (nibbles). */
    private static void iq4ks(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(b, o + ib);
            sc[2 * ib] = sc[2 * ib + 1] = d * ((s & 254) - 127);
            iq4Levels(b, o + 8 + 16 * ib, 0, s, lv, lo + 32 * ib);
            iq4Levels(b, o + 8 + 16 * ib, 4, s, lv, lo + 32 * ib + 16);
        }
    }

    /** IQ5_KS, after the row's f32 scale d, 168 bytes: scales[8] (as IQ4_KS), qs[128] (low nibbles: even blocks, high: odd), qh[32] (5th bit ib). */
    private static void iq5ks(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(b, o + ib), q = o + 8 + 32 * (ib / 2), shift = 4 * (ib % 2);
            sc[2 * ib] = sc[2 * ib + 1] = d * ((s & 254) - 127);
            iq5Levels(b, q, shift, o + 136, ib, s, lv, lo + 32 * ib);
            iq5Levels(b, q + 16, shift, o + 152, ib, s, lv, lo + 32 * ib + 16);
        }
    }

    /**
     * IQ2_KS, after the row's fp16 scale d, 70 bytes: extra (bits 0..7: shifted table per 32 values; 8..15: 5th scale
     * bits), scales[4] (two 4-bit scales − 16 each, with the 5th bit), qs[64] (2-bit indices).
     */
    private static void iq2ks(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        int extra = u16(b, o);
        for (int ib = 0; ib < 4; ib++) {
            int s = u8(b, o + 2 + ib), e = extra >> 2 * ib;
            sc[4 * ib] = sc[4 * ib + 1] = d * (((s & 0xf) | ((e >> 4) & 0x10)) - 16);
            sc[4 * ib + 2] = sc[4 * ib + 3] = d * (((s >> 4) | ((e >> 5) & 0x10)) - 16);
            int q = o + 6 + 32 * (ib / 2), shift = 4 * (ib % 2);
            iq2Levels(b, q, shift, e, lv, lo + 64 * ib);
            iq2Levels(b, q + 16, shift, e, lv, lo + 64 * ib + 16);
            iq2Levels(b, q, shift + 2, e >> 1, lv, lo + 64 * ib + 32);
            iq2Levels(b, q + 16, shift + 2, e >> 1, lv, lo + 64 * ib + 48);
        }
    }

    /**
     * IQ3_KS, after the row's fp16 scale d, 102 bytes: extra (bits 0..7: 5th scale bits; 8..15: shifted table per 32
     * values), scales[4] (two 4-bit scales − 16 each), qs[64] (2 low index bits), qh[32] (3rd bit).
     */
    private static void iq3ks(byte[] b, int o, float d, byte[] lv, int lo, float[] sc) {
        int extra = u16(b, o);
        for (int j = 0; j < 4; j++) {
            int s = u8(b, o + 2 + j);
            sc[2 * j] = sc[2 * j + 1] = d * (((s & 0xf) | ((extra >> j) & 1) << 4) - 16);
            sc[2 * j + 8] = sc[2 * j + 9] = d * (((s >> 4) | ((extra >> j + 4) & 1) << 4) - 16);
        }
        for (int ib = 0; ib < 8; ib++) {
            int q = o + 6 + 32 * (ib / 4), shift = 2 * (ib % 4), shifted = extra >> 8 + ib;
            iq3Levels(b, q, shift, o + 70, ib, shifted, lv, lo + 32 * ib);
            iq3Levels(b, q + 16, shift, o + 86, ib, shifted, lv, lo + 32 * ib + 16);
        }
    }
}
