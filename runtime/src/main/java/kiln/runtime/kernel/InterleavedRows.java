package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Four rows of an interleaved group (Q4_K_R4, Q6_K_R4, Q5_0_R4, Q8_0_R8) decoded straight from its bytes into floats
 * for the prompt tiles, with no unpacking to base rows: the same floats, bit for bit, as the base type's vector
 * decoder on the unpacked rows ({@link KQuantDots#k45Row}, {@link KQuantDots#q6kRow}, {@link VectorKernels#dotQ50},
 * {@link VectorKernels#dequantQ80}), so the tiles' sums do not change. Per 256 columns (a staged chunk) in three
 * passes: (1) each 32-column block's values are assembled in the interleaved order with 16-byte operations (a
 * chunk's byte 4k+i holds four consecutive columns of row k, ik's N4 order spreads a block's columns over four
 * chunks and two nibbles) into a value area, the low-nibble plane then the high one, and the scales decoded (in
 * vectors for the k-quants); (2) four-column units are moved to column order (at 16 lanes two two-vector int
 * selects per block, else int moves); (3) each row is widened to floats under its 16-column scales. The
 * whole chunk goes through each pass before the next, so the vector loads of pass 3 do not wait on the int stores
 * of pass 2 (no store forwarding across sizes). Arrays and scalars only cross calls (see {@link InterleavedKernel}).
 */
abstract class InterleavedRows {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = L == 8 || L == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** 64 byte lanes: at 16 float lanes a 32-column block's four chunks in one vector. */
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /** Columns of a staged chunk. */
    static final int CHUNK = 256;
    /**
     * Bytes of the group staged by one copy (whole chunks; at least one, the largest being 8 Q8_0_R8 blocks of 272
     * bytes): a segment copy pays checks per call (a tenth of the profile when each chunk was copied on its own).
     */
    static final int STAGED = 8192;
    /** Where the staged bytes end and the value area begins. */
    static final int VALUES = STAGED;
    /** The column-ordered rows: row k's values of 32-column block j at ROWS + 128j + 32k. */
    static final int ROWS = VALUES + 8 * 128;
    /** Bytes of scratch {@link #rows} needs. */
    static final int SCRATCH_BYTES = ROWS + 4 * CHUNK;
    /**
     * Floats of scale scratch: row k's scale of the chunk's columns 16h.. at 4h + k, or for the type with minimums
     * (Q4_K_R4: one scale per 32 columns, in its slot order s = 4·block + k) at 4(h / 2) + k, minimums from 64 on.
     */
    static final int SCALE_FLOATS = 128;
    private static final int MIN = 64;

    /**
     * Byte offset, within a 32-column block's value area, of columns 4g..4g+3 of row 0 (row k: + 4k): the N4 order
     * (low nibbles of chunk m hold columns {0, 16, 4, 20}[m] + i, the high nibbles those + 8).
     */
    private static final int[] N4_UNITS = {0, 32, 64, 96, 16, 48, 80, 112};
    /** Q8_0_R8: columns 4g.. of row 0 at qs[32g] (g < 4), at qs[128 + 32(g − 4)] after. */
    private static final int[] R8_UNITS = {0, 32, 64, 96, 128, 160, 192, 224};
    /**
     * At 16 lanes pass 2 is two two-vector selects per block ({@code vpermt2d}): int lane j of the result for rows
     * 0, 1 (2, 3: {@link #ROWS23}) takes int {@code N4_UNITS[j % 8] / 4 + j / 8} of the low plane (0..15) then the
     * high one (16..31).
     */
    private static final IntVector ROWS01 = L == 16 ? n4Select(0) : null, ROWS23 = L == 16 ? n4Select(2) : null;

    private static IntVector n4Select(int k0) {
        int[] idx = new int[16];
        for (int j = 0; j < 16; j++) idx[j] = N4_UNITS[j % 8] / 4 + k0 + j / 8;
        return IntVector.fromArray(IntVector.SPECIES_512, idx, 0);
    }

    private final int blockCols, blockBytes, groupRows;
    private final boolean minimums;

    private InterleavedRows(int blockCols, int blockBytes, int groupRows, boolean minimums) {
        this.blockCols = blockCols;
        this.blockBytes = blockBytes;
        this.groupRows = groupRows;
        this.minimums = minimums;
    }

    /** The decoder of an interleaved type at this machine's width, or null. */
    static InterleavedRows forType(GgmlType type) {
        if (B == null) return null;
        return switch (type) {
            case Q4_K_R4 -> Q4K;
            case Q6_K_R4 -> Q6K;
            case Q5_0_R4 -> Q50;
            case Q8_0_R8 -> Q80;
            default -> null;
        };
    }

    boolean supports(int cols) {
        return cols % blockCols == 0;
    }

    int groupRows() {
        return groupRows;
    }

    /**
     * Rows first..first+3 of the group whose bytes start at data[off] (first a multiple of 4 below the group's
     * rows) as floats: row k into dst[k·cols..(k+1)·cols). {@code stage} holds {@link #SCRATCH_BYTES},
     * {@code scales} {@link #SCALE_FLOATS}.
     */
    final void rows(MemorySegment data, long off, int cols, int first, byte[] stage, float[] scales, float[] dst) {
        int perChunk = CHUNK / blockCols, chunkBytes = blockBytes * perChunk, perCopy = STAGED / chunkBytes;
        long groupBytes = (long) blockBytes * (cols / blockCols);
        for (int c0 = 0, chunk = 0; c0 < cols; c0 += CHUNK, chunk++) {
            int blocks = Math.min(perChunk, (cols - c0) / blockCols), at = chunkBytes * (chunk % perCopy);
            if (at == 0) {
                long from = (long) chunkBytes * chunk;
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off + from, stage, 0, (int) Math.min(STAGED - STAGED % chunkBytes, groupBytes - from));
            }
            int n = values(stage, at, blocks, first, scales);
            if (groupRows == 8) transpose(stage, n, at + 16, 272, first, R8_UNITS); // Q8_0_R8: its bytes are its values
            else if (L == 16) selectN4(stage, n);
            else transpose(stage, n, VALUES, 128, 0, N4_UNITS);
            if (minimums) widenFma(stage, n, scales, dst, cols, c0);
            else widenMul(stage, n, scales, dst, cols, c0);
        }
    }

    /**
     * Pass 1 for {@code blocks} blocks staged at st[at..): the values of 32-column block j at VALUES + 128j ({@link #N4_UNITS}
     * order), the scales as {@link #SCALE_FLOATS} says.
     * Q8_0_R8, whose bytes are its values, sets only the scales. Returns the chunk's 32-column blocks.
     */
    abstract int values(byte[] st, int at, int blocks, int first, float[] scales);

    /**
     * Pass 2: the four-column units of row k (of the group's first + k) of block j, found at
     * base + stride·j + 4(first + k) + units[g], to ROWS + 128j + 32k + 4g, in column order.
     */
    private static void transpose(byte[] st, int n, int base, int stride, int first, int[] units) {
        for (int k = 0; k < 4; k++) {
            for (int j = 0; j < n; j++) {
                int src = base + stride * j + 4 * (first + k), dst = ROWS + 128 * j + 32 * k;
                for (int g = 0; g < 8; g++) INT.set(st, dst + 4 * g, (int) INT.get(st, src + units[g]));
            }
        }
    }

    /** Pass 2 of the N4 types at 16 lanes: each block's two value planes (64 bytes each) into rows 0, 1 and 2, 3 by two selects. */
    private static void selectN4(byte[] st, int n) {
        for (int j = 0; j < n; j++) {
            IntVector lo = ByteVector.fromArray(B64, st, VALUES + 128 * j).reinterpretAsInts();
            IntVector hi = ByteVector.fromArray(B64, st, VALUES + 128 * j + 64).reinterpretAsInts();
            ROWS01.selectFrom(lo, hi).reinterpretAsBytes().intoArray(st, ROWS + 128 * j);
            ROWS23.selectFrom(lo, hi).reinterpretAsBytes().intoArray(st, ROWS + 128 * j + 64);
        }
    }

    /** Pass 3 with minimums: value·scale + min as one fma (Q4_K's {@code kBlockRow}: min = −dmin·m). */
    private static void widenFma(byte[] st, int n, float[] sc, float[] dst, int cols, int c0) {
        for (int k = 0; k < 4; k++) {
            for (int h = 0; h < 2 * n; h++) {
                FloatVector s = FloatVector.broadcast(F, sc[4 * (h >> 1) + k]), m = FloatVector.broadcast(F, sc[MIN + 4 * (h >> 1) + k]);
                for (int p = 0; p < 16; p += L) {
                    ((FloatVector) ByteVector.fromArray(B, st, ROWS + 128 * (h / 2) + 32 * k + 16 * (h % 2) + p).convertShape(VectorOperators.B2F, F, 0))
                            .fma(s, m).intoArray(dst, k * cols + c0 + 16 * h + p);
                }
            }
        }
    }

    /** Pass 3 without: value·scale. */
    private static void widenMul(byte[] st, int n, float[] sc, float[] dst, int cols, int c0) {
        for (int k = 0; k < 4; k++) {
            for (int h = 0; h < 2 * n; h++) {
                FloatVector s = FloatVector.broadcast(F, sc[4 * h + k]);
                for (int p = 0; p < 16; p += L) {
                    ((FloatVector) ByteVector.fromArray(B, st, ROWS + 128 * (h / 2) + 32 * k + 16 * (h % 2) + p).convertShape(VectorOperators.B2F, F, 0))
                            .mul(s).intoArray(dst, k * cols + c0 + 16 * h + p);
                }
            }
        }
    }

    static float f16(byte[] st, int o) {
        return Float.float16ToFloat((short) SHORT.get(st, o));
    }


    /** Q4_K_R4: 576-byte blocks {@code d[4], dmin[4], scales_h[16], scales_l[32], qs[512]}; value (d·sc)·q − dmin·m. */
    private static final InterleavedRows Q4K = new InterleavedRows(256, 576, 4, true) {
        @Override
        int values(byte[] st, int at, int blocks, int first, float[] sc) {
            if (L == 16) { // the block's four chunks at once: pass 2 then loads what each store wrote
                for (int j = 0; j < 8; j++) {
                    ByteVector v = ByteVector.fromArray(B64, st, at + 64 + 64 * j);
                    v.and((byte) 0x0F).intoArray(st, VALUES + 128 * j);
                    v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).intoArray(st, VALUES + 128 * j + 64);
                }
            } else for (int j = 0; j < 8; j++) {
                for (int m = 0; m < 4; m++) {
                    ByteVector v = ByteVector.fromArray(B16, st, at + 64 + 64 * j + 16 * m);
                    v.and((byte) 0x0F).intoArray(st, VALUES + 128 * j + 16 * m);
                    v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                            .intoArray(st, VALUES + 128 * j + 64 + 16 * m);
                }
            }
            // slot s = 4j + k: sc = scales_l[s] & 15 | (scales_h[s % 16] >> 4(s/16) & 3) << 4, m from the high nibble and bits 2-3
            // the rows' d and −dmin by lane % 4 (written out: no vector crosses a call)
            FloatVector d = FloatVector.broadcast(F, f16(st, at)).blend(FloatVector.broadcast(F, f16(st, at + 2)), InterleavedKernel.ROW1)
                    .blend(FloatVector.broadcast(F, f16(st, at + 4)), InterleavedKernel.ROW2).blend(FloatVector.broadcast(F, f16(st, at + 6)), InterleavedKernel.ROW3);
            FloatVector negDmin = FloatVector.broadcast(F, f16(st, at + 8)).blend(FloatVector.broadcast(F, f16(st, at + 10)), InterleavedKernel.ROW1)
                    .blend(FloatVector.broadcast(F, f16(st, at + 12)), InterleavedKernel.ROW2).blend(FloatVector.broadcast(F, f16(st, at + 14)), InterleavedKernel.ROW3).neg();
            for (int p = 0; p < 32; p += L) {
                ByteVector l = ByteVector.fromArray(B, st, at + 32 + p), h = ByteVector.fromArray(B, st, at + 16 + (p & 15));
                if (p >= 16) h = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                ByteVector scale = l.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
                ByteVector min = l.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                        .or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
                ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(sc, p); // d·sc, as the base decoder rounds it
                ((FloatVector) min.convertShape(VectorOperators.B2F, F, 0)).mul(negDmin).intoArray(sc, MIN + p); // −dmin·m
            }
            return 8;
        }
    };

    /**
     * Q6_K_R4: 840-byte blocks {@code d[4], scales[64], qh[256], ql[512]}; the top two bits of chunk m's low
     * (high) nibbles are bits 4(m/2) (+2) of qh's 16 bytes m % 2; value (d·scale)·(q − 32) per 16 columns.
     */
    private static final InterleavedRows Q6K = new InterleavedRows(256, 840, 4, false) {
        @Override
        int values(byte[] st, int at, int blocks, int first, float[] sc) {
            for (int j = 0; j < 8; j++) {
                for (int m = 0; m < 4; m++) {
                    ByteVector h = ByteVector.fromArray(B16, st, at + 72 + 32 * j + 16 * (m & 1));
                    ByteVector v = ByteVector.fromArray(B16, st, at + 328 + 64 * j + 16 * m);
                    ByteVector hl, hh; // bits 4(m/2), +1 and 4(m/2)+2, +3 moved to bits 4, 5
                    if (m < 2) {
                        hl = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30);
                        hh = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30);
                    } else {
                        hl = h.and((byte) 0x30);
                        hh = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30);
                    }
                    v.and((byte) 0x0F).or(hl).sub((byte) 32).intoArray(st, VALUES + 128 * j + 16 * m);
                    v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hh).sub((byte) 32)
                            .intoArray(st, VALUES + 128 * j + 64 + 16 * m);
                }
            }
            // scales[4h + k] (row k's of columns 16h..) times the rows' d by lane % 4
            FloatVector d = FloatVector.broadcast(F, f16(st, at)).blend(FloatVector.broadcast(F, f16(st, at + 2)), InterleavedKernel.ROW1)
                    .blend(FloatVector.broadcast(F, f16(st, at + 4)), InterleavedKernel.ROW2).blend(FloatVector.broadcast(F, f16(st, at + 6)), InterleavedKernel.ROW3);
            for (int p = 0; p < 64; p += L) ((FloatVector) ByteVector.fromArray(B, st, at + 8 + p).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(sc, p);
            return 8;
        }
    };

    /** Q5_0_R4: 88-byte blocks {@code d[4], qh[16], qs[64]}; chunk m's fifth bits are bits m (low), m + 4 (high) of qh. */
    private static final InterleavedRows Q50 = new InterleavedRows(32, 88, 4, false) {
        @Override
        int values(byte[] st, int at, int blocks, int first, float[] sc) {
            for (int j = 0; j < blocks; j++) {
                int o = at + 88 * j;
                ByteVector h = ByteVector.fromArray(B16, st, o + 8);
                for (int m = 0; m < 4; m++) {
                    ByteVector v = ByteVector.fromArray(B16, st, o + 24 + 16 * m);
                    // bit m to bit 4 and bit m + 4 to bit 4 (16-bit shifts: what crosses from the next byte is masked off)
                    ByteVector hl = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4 - m).reinterpretAsBytes().and((byte) 0x10);
                    ByteVector hh = m == 0 ? h.and((byte) 0x10) : h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, m).reinterpretAsBytes().and((byte) 0x10);
                    v.and((byte) 0x0F).or(hl).sub((byte) 16).intoArray(st, VALUES + 128 * j + 16 * m);
                    v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(hh).sub((byte) 16)
                            .intoArray(st, VALUES + 128 * j + 64 + 16 * m);
                }
                for (int k = 0; k < 4; k++) {
                    float d = f16(st, o + 2 * k);
                    sc[8 * j + k] = d;
                    sc[8 * j + 4 + k] = d;
                }
            }
            return blocks;
        }
    };

    /**
     * Q8_0_R8: 272-byte blocks {@code d[8], qs[256]}, row k's columns 4g.. at qs[32g + 4k] (g < 4), the rest at
     * qs[128 + 32(g − 4) + 4k] ({@link #R8_UNITS}): no pass 1, the scales only.
     */
    private static final InterleavedRows Q80 = new InterleavedRows(32, 272, 8, false) {
        @Override
        int values(byte[] st, int at, int blocks, int first, float[] sc) {
            for (int j = 0; j < blocks; j++) {
                int o = at + 272 * j;
                for (int k = 0; k < 4; k++) {
                    float d = f16(st, o + 2 * (first + k));
                    sc[8 * j + k] = d;
                    sc[8 * j + 4 + k] = d;
                }
            }
            return blocks;
        }
    };
}
