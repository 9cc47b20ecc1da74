package kiln.tensor.repack;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An interleaved type whose group is a run of independent "block columns": block column {@code ib} of the group is
 * built from block {@code ib} of each of the {@link #rows()} base rows and nothing else. Subclasses implement the
 * three per-block kernels on byte arrays; this class moves whole groups between memory segments and those arrays.
 */
abstract class BlockInterleaver implements Interleaver {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final GgmlType packed;
    private final GgmlType base;
    /** Elements of one row covered by one block column. */
    final int blockElems;
    /** Bytes of one base row's block. */
    final int baseBlockBytes;
    /** Bytes of one interleaved block column (all rows). */
    final int packedBlockBytes;
    /**
     * Per-row metadata bytes of the base type ({@link GgmlType#rowMetaBytes()}), at the start of each base row, and of
     * the packed type, gathered (row order) at the start of each group. Most types keep the metadata as it is (equal
     * sizes, copied); a type that drops part of it overrides {@link #packMeta}/{@link #unpackMeta}. Kernels find the
     * group's metadata at the start of the group array.
     */
    final int meta;
    final int packedMeta;

    BlockInterleaver(GgmlType packed, GgmlType base, int blockElems, int baseBlockBytes, int packedBlockBytes) {
        this(packed, base, blockElems, baseBlockBytes, packedBlockBytes, 0);
    }

    BlockInterleaver(GgmlType packed, GgmlType base, int blockElems, int baseBlockBytes, int packedBlockBytes, int meta) {
        this(packed, base, blockElems, baseBlockBytes, packedBlockBytes, meta, meta);
    }

    BlockInterleaver(GgmlType packed, GgmlType base, int blockElems, int baseBlockBytes, int packedBlockBytes, int meta, int packedMeta) {
        this.meta = meta;
        this.packedMeta = packedMeta;
        this.packed = packed;
        this.base = base;
        this.blockElems = blockElems;
        this.baseBlockBytes = baseBlockBytes;
        this.packedBlockBytes = packedBlockBytes;
    }

    @Override
    public final GgmlType packedType() {
        return packed;
    }

    @Override
    public final GgmlType baseType() {
        return base;
    }

    // Kernels get a per-thread int[256] scratch ({@code tmp}) for unpacked quant values.

    /** Builds one interleaved block column at {@code y[yOff]} from base blocks at {@code x[xOff + k*xStride]}. */
    abstract void packBlock(byte[] x, int xOff, int xStride, byte[] y, int yOff, int[] tmp);

    /** Inverse of {@link #packBlock}. */
    abstract void unpackBlock(byte[] y, int yOff, byte[] x, int xOff, int xStride, int[] tmp);

    /** Dequantizes one block column: row k's {@link #blockElems} values go to {@code out[outOff + k*outStride ...]}. */
    abstract void dequantizeBlock(byte[] y, int yOff, float[] out, int outOff, int outStride, int[] tmp);

    /** Gathers the rows' metadata ({@code x[k*baseRow]}) into the group head ({@code y[0..]}); by default copied as it is. */
    void packMeta(byte[] x, int baseRow, byte[] y) {
        for (int k = 0; k < rows(); k++) System.arraycopy(x, k * baseRow, y, k * packedMeta, packedMeta);
    }

    /** Inverse of {@link #packMeta}; runs after the block columns are unpacked, so it may read the rows' quants. */
    void unpackMeta(byte[] y, byte[] x, int baseRow) {
        for (int k = 0; k < rows(); k++) System.arraycopy(y, k * packedMeta, x, k * baseRow, meta);
    }

    /**
     * Byte layout of one group of {@link #rows()} rows: {@code blocks} block columns, base rows of {@code baseRow}
     * bytes ({@code baseBytes} in all), packed: {@code head} metadata bytes then the block columns ({@code packedBytes}).
     */
    private record Group(int blocks, int baseRow, int baseBytes, int head, int packedBytes) {}

    private Group group(long nPerRow) {
        if (nPerRow % blockElems != 0) {
            throw new IllegalArgumentException(packed.ggmlName() + ": row length " + nPerRow + " is not a multiple of " + blockElems);
        }
        int nb = Math.toIntExact(nPerRow / blockElems);
        int baseRow = meta + nb * baseBlockBytes;
        int head = packedMeta * rows();
        return new Group(nb, baseRow, baseRow * rows(), head, head + nb * packedBlockBytes);
    }

    @Override
    public void repack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long nPerRow) {
        Group g = group(nPerRow);
        Scratch s = SCRATCH.get();
        byte[] x = s.in(g.baseBytes);
        byte[] y = s.out(g.packedBytes);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, x, 0, g.baseBytes);
        if (meta > 0) packMeta(x, g.baseRow, y);
        for (int ib = 0; ib < g.blocks; ib++) packBlock(x, meta + ib * baseBlockBytes, g.baseRow, y, g.head + ib * packedBlockBytes, s.values);
        MemorySegment.copy(y, 0, dst, ValueLayout.JAVA_BYTE, dstOff, g.packedBytes);
    }

    @Override
    public void unpack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long nPerRow) {
        Group g = group(nPerRow);
        Scratch s = SCRATCH.get();
        byte[] y = s.in(g.packedBytes);
        byte[] x = s.out(g.baseBytes);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, y, 0, g.packedBytes);
        for (int ib = 0; ib < g.blocks; ib++) unpackBlock(y, g.head + ib * packedBlockBytes, x, meta + ib * baseBlockBytes, g.baseRow, s.values);
        if (meta > 0) unpackMeta(y, x, g.baseRow);
        MemorySegment.copy(x, 0, dst, ValueLayout.JAVA_BYTE, dstOff, g.baseBytes);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOff, long nPerRow, float[] dst, int dstOff) {
        Group g = group(nPerRow);
        Scratch s = SCRATCH.get();
        byte[] y = s.in(g.packedBytes);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, y, 0, g.packedBytes);
        int stride = Math.toIntExact(nPerRow);
        for (int ib = 0; ib < g.blocks; ib++) dequantizeBlock(y, g.head + ib * packedBlockBytes, dst, dstOff + ib * blockElems, stride, s.values);
    }

    /** Per-thread reusable byte buffers (groups are at most a few MB). */
    private static final class Scratch {
        private byte[] in = new byte[0];
        private byte[] out = new byte[0];
        final int[] values = new int[256];

        byte[] in(int n) {
            if (in.length < n) in = new byte[n];
            return in;
        }

        byte[] out(int n) {
            if (out.length < n) out = new byte[n];
            return out;
        }
    }

    // ---- small helpers shared by the kernels ----

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    static float f32(byte[] b, int i) {
        return Float.intBitsToFloat(getInt(b, i));
    }

    static float f16(byte[] b, int i) {
        return Float.float16ToFloat((short) ((b[i] & 0xFF) | (b[i + 1] << 8)));
    }

    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    static int getInt(byte[] b, int i) {
        return (int) INT.get(b, i);
    }

    static void putInt(byte[] b, int i, int v) {
        INT.set(b, i, v);
    }

    static final int LO = 0x0F0F0F0F;
    static final int HI = 0xF0F0F0F0;

    /** Four bytes at once: low nibbles of {@code a} | low nibbles of {@code b} in the high halves. */
    static int lowNibbles(int a, int b) {
        return (a & LO) | (b & LO) << 4;
    }

    /** Four bytes at once: high nibbles of {@code a} in the low halves | high nibbles of {@code b}. */
    static int highNibbles(int a, int b) {
        return (a >>> 4 & LO) | (b & HI);
    }

    /** Copies 4 bytes. */
    static void copy4(byte[] src, int s, byte[] dst, int d) {
        INT.set(dst, d, (int) INT.get(src, s));
    }

    static void copy2(byte[] src, int s, byte[] dst, int d) {
        dst[d] = src[s];
        dst[d + 1] = src[s + 1];
    }
}
