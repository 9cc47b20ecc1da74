package kiln.tensor.codec.grid;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.BlockCodec;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ik's IQ1_S_R4 and IQ1_M_R4: not repacks of IQ1_S/IQ1_M but four-row types of their own (blocks of 32 values, one fp16
 * scale per row), so a call covers one group of 4 rows ({@code n} = 4 · row length) as for the other interleaved
 * types. Group: {@code fp16 d[4]}, then per 32 columns one block —
 * <ul>
 *   <li>IQ1_S_R4 (24 B): {@code qs[16]} (index low bits, {@code [4i+k]}), {@code u16 qh[4]} (row k: 3×4 index high
 *       bits, 3-bit scale s at bit 12, delta sign at bit 15); value {@code d·(2s+1)·(grid + ±1/8)}
 *       ({@code dequantize_row_iq1_s_r4});</li>
 *   <li>IQ1_M_R4 (28 B): {@code qs[16]} ({@code [8i+k]} and {@code [8i+k+4]}), {@code qh[8]} (row k, half i: index
 *       high bits 0..2 and 4..6, delta signs 0x08 and 0x80), {@code scales[4]} (two 4-bit scales per row, no 2s+1);
 *       value {@code d·s·(grid + ±1/8)} ({@code dequantize_row_iq1_m_r4}).</li>
 * </ul>
 * Quantizing follows ik's {@code quantize_iq1_s_r4} / {@code quantize_iq1_m_r4} ({@link Iq1SR4Quantizer},
 * {@link Iq1MR4Quantizer}); {@code weights} is the one row-length imatrix vector all 4 rows share. Neither needs
 * importance weights ({@code ggml_quantize_requires_imatrix} is false for both; only llama-quantize's very-low-bit rule
 * asks for an imatrix, at file level).
 */
final class Iq1R4Codec implements RowCodec {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final Iq1R4Codec IQ1_S_R4 = new Iq1R4Codec(GgmlType.IQ1_S_R4, Iq1SR4Quantizer.BLOCK_BYTES, new Iq1SR4Quantizer());
    static final Iq1R4Codec IQ1_M_R4 = new Iq1R4Codec(GgmlType.IQ1_M_R4, Iq1MR4Quantizer.BLOCK_BYTES, new Iq1MR4Quantizer());

    /** One group of 4 rows of {@code nPerRow} values at {@code x[xOff]} (imatrix or null) into {@code out} (zeroed). */
    interface GroupQuantizer {
        void quantize(float[] x, int xOff, int nPerRow, float[] imatrix, byte[] out);
    }

    private final GgmlType type;
    private final int blockBytes;
    private final GroupQuantizer quantizer;

    private Iq1R4Codec(GgmlType type, int blockBytes, GroupQuantizer quantizer) {
        this.type = type;
        this.blockBytes = blockBytes;
        this.quantizer = quantizer;
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public boolean canQuantize() {
        return true;
    }

    @Override
    public void quantize(float[] src, int srcOff, MemorySegment dst, long dstOffset, int n, float[] weights) {
        int nPerRow = checkGroup(n);
        BlockCodec.checkFinite(type, src, srcOff, n, "input rows");
        if (weights != null) {
            if (weights.length < nPerRow) {
                throw new KilnException("cannot quantize to " + type.ggmlName() + ": the importance weights hold "
                        + weights.length + " values, the row " + nPerRow);
            }
            BlockCodec.checkFinite(type, weights, 0, nPerRow, "importance weights");
        }
        byte[] group = new byte[8 + nPerRow / 32 * blockBytes];
        quantizer.quantize(src, srcOff, nPerRow, weights, group);
        MemorySegment.copy(group, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, group.length);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        int nPerRow = checkGroup(n), nblock = nPerRow / 32;
        for (int k = 0; k < 4; k++) {
            float d = Fp16.halfToFloat(src.get(LE_SHORT, srcOffset + 2 * k));
            for (int ib = 0; ib < nblock; ib++) {
                long b = srcOffset + 8 + (long) ib * blockBytes;
                int y = dstOff + k * nPerRow + 32 * ib;
                if (type == GgmlType.IQ1_S_R4) {
                    int qh = Short.toUnsignedInt(src.get(LE_SHORT, b + 16 + 2 * k));
                    float shift = (qh & 0x8000) != 0 ? -Iq1Decoders.DELTA : Iq1Decoders.DELTA;
                    float dl = d * (2 * ((qh >> 12) & 7) + 1);
                    for (int i = 0; i < 4; i++) point(u8(src, b + 4 * i + k) | ((qh >> 3 * i) & 7) << 8, dl, shift, dst, y + 8 * i);
                } else {
                    int sc = u8(src, b + 24 + k);
                    for (int i = 0; i < 2; i++) {
                        float dl = d * (i == 0 ? sc & 0xf : sc >> 4);
                        int qh = u8(src, b + 16 + 4 * i + k);
                        point(u8(src, b + 8 * i + k) | (qh & 0x07) << 8, dl, (qh & 0x08) != 0 ? -Iq1Decoders.DELTA : Iq1Decoders.DELTA, dst, y + 16 * i);
                        point(u8(src, b + 8 * i + k + 4) | (qh & 0x70) << 4, dl, (qh & 0x80) != 0 ? -Iq1Decoders.DELTA : Iq1Decoders.DELTA, dst, y + 16 * i + 8);
                    }
                }
            }
        }
    }

    /**
     * One IQ1_S_R4 group as 4 IQ1_S rows (row length a multiple of 256): lossless, the fields are the same (each row's
     * scale becomes each of its blocks' d; a block's 4 index bytes and its u16 qh move unchanged), so IQ1_S's decoder
     * and kernels give the same values.
     */
    static void toIq1S(MemorySegment src, long off, MemorySegment dst, long dstOff, long cols) {
        if (cols % 256 != 0) throw new IllegalArgumentException("iq1_s_r4 → iq1_s needs rows of whole 256-value blocks; got " + cols);
        long nblock = cols / 32, rowBytes = cols / 256 * 50;
        for (int k = 0; k < 4; k++) {
            short d = src.get(LE_SHORT, off + 2 * k);
            for (long b = 0; b < nblock / 8; b++) {
                long o = dstOff + k * rowBytes + 50 * b;
                dst.set(LE_SHORT, o, d);
                for (int j = 0; j < 8; j++) {
                    long blk = off + 8 + (8 * b + j) * 24;
                    for (int i = 0; i < 4; i++) dst.set(ValueLayout.JAVA_BYTE, o + 2 + 4 * j + i, src.get(ValueLayout.JAVA_BYTE, blk + 4 * i + k));
                    dst.set(LE_SHORT, o + 34 + 2 * j, src.get(LE_SHORT, blk + 16 + 2 * k));
                }
            }
        }
    }

    /**
     * Writes a group's 4 fp16 row scales ({@code 1.0625 · max/15}, as ik's {@code quantize_iq1_s_r4} and
     * {@code quantize_iq1_m_r4}) at the group's start and returns their inverses {@code 15/max} (0 for a zero row),
     * with which the block scales are then rounded.
     */
    static float[] putRowScales(float[] max, byte[] out) {
        float[] invd = new float[4];
        for (int k = 0; k < 4; ++k) {
            BlockCodec.putHalf(out, 2 * k, 1.0625f * max[k] / 15);
            invd[k] = max[k] != 0 ? 15 / max[k] : 0f;
        }
        return invd;
    }

    /** The row length of a call on {@code n} values: one group of 4 rows of whole 32-value blocks. */
    private int checkGroup(int n) {
        if (n <= 0 || n % (4 * 32) != 0) {
            throw new KilnException(type.ggmlName() + ": " + n + " values are not a group of 4 rows of 32-value blocks");
        }
        return n / 4;
    }

    private static int u8(MemorySegment s, long at) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
    }

    /** {@code y[j] = dl * (grid[j] + delta)}, as {@link Iq1Decoders}. */
    private static void point(int index, float dl, float delta, float[] y, int yOff) {
        for (int j = 0; j < 8; ++j) y[yOff + j] = dl * (Grids.IQ1[8 * index + j] + delta);
    }
}
