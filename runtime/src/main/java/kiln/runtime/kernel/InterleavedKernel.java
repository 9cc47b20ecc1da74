package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * A kernel that multiplies ik's interleaved rows (_R4/_R8) in place, without unpacking them: 4 or 8 rows of one
 * group sit side by side in 4-byte chunks, so one vector of quants widened to floats holds four consecutive
 * columns of each of several rows (row k in lanes 4k..4k+3), and meets the same four activations repeated.
 * {@link #expand} lays a token's activations out that way once per product and thread (8 lane groups of L
 * floats per 32 columns, each group four columns from {@link #offsets()} repeated L/4 times: at 8 lanes the
 * expanded token is half the size, so more of it stays in L1); the kernels then stream the weights once, a
 * chunk of a group's bytes at a time copied into a per-thread byte array ({@link #STAGE_BYTES}) and read with
 * array loads (short vector loads from a segment each pay a bounds and liveness check, as {@link KQuantDots}
 * found for the plain types). The 256-bit (AVX2) and 512-bit (AVX-512) bodies are the two supported widths; the
 * scalar oracle is each type's repack codec ({@code kiln.tensor.repack}, through {@link ScalarKernels}).
 */
abstract class InterleavedKernel {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Floats of expanded activations per 32 columns (8 lane groups × L lanes). */
    static final int EXPANDED = 8 * L;
    /**
     * Bytes of a group staged at a time (whole units: a 256-column block of a k-quant group, a 32-column block of
     * Q5_0_R4/Q8_0_R8). 16 KB: a pair of 2048-column groups ({@link #pairs}) is staged in one copy each; with weights
     * streaming from memory that ran Q6_K_R4 23 % and Q4_K_R4 9 % faster than 8 KB (JMH at 32768 × 2048, bench/README.md),
     * and no slower in cache.
     */
    static final int STAGE_BYTES = 16384;
    /**
     * Where the 8-lane bodies that assemble a 32-column block's values first (Q5_K_R4, Q6_K_R4: 16-byte operations,
     * half as many as on each 8-byte half) put them: the 128 bytes after the staged chunk.
     */
    static final int DECODED = STAGE_BYTES;
    /** 16 byte lanes: the 8-lane bodies' value assembly. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final java.lang.invoke.VarHandle SHORT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, LE);
    /** Floats of per-thread scale scratch a kernel uses unless it says more ({@link #scratchFloats}). */
    static final int SCRATCH = 192;

    /**
     * Lanes with lane % 4 == k (k = 1, 2, 3): a per-row scalar spread to its row's lanes is a broadcast blended
     * under these ({@code broadcast(d0).blend(broadcast(d1), ROW1)…}), never scalar stores read back as a vector
     * (that load waits for the stores: no store forwarding).
     */
    static final jdk.incubator.vector.VectorMask<Float> ROW1 = rowLanes(1), ROW2 = rowLanes(2), ROW3 = rowLanes(3);

    private static jdk.incubator.vector.VectorMask<Float> rowLanes(int k) {
        long bits = 0;
        for (int j = k; j < L; j += 4) bits |= 1L << j;
        return jdk.incubator.vector.VectorMask.fromLong(F, bits);
    }

    /** Lanes j take lane {@code first + j/4}: a per-row value (in lanes first, first+1, …) spread over each row's four lanes. */
    static VectorShuffle<Float> spread(int first) {
        if (L != 8 && L != 16) return null;
        int[] idx = new int[L];
        for (int j = 0; j < L; j++) idx[j] = first + j / 4;
        return VectorShuffle.fromArray(F, idx, 0);
    }

    /*
     * No helper in the kernels takes or returns a vector: C2 stops inlining a method's calls past a node budget
     * (NodeCountInliningCutoff, 18,000 nodes, not settable in product builds), and a vector that crosses a call it
     * did not inline is boxed — every operation on it then runs the Vector API's Java fallback, 10x slower. So the
     * few vector idioms are written out where they are used: bytes to floats,
     * {@code (FloatVector) v.convertShape(B2F, F, 0)}; a byte shift (x86 has none) as a 16-bit shift and a mask,
     * {@code v.reinterpretAsShorts().lanewise(LSHR, n).reinterpretAsBytes().and((byte) (0xFF >>> n))}. The kernels'
     * own block methods pass only arrays and scalars, so they are safe whether C2 inlines them or not.
     */

    /** The kernel for an interleaved type at this machine's width, or null. */
    static InterleavedKernel forType(GgmlType type) {
        if (L != 8 && L != 16) return null;
        return switch (type) {
            case Q4_K_R4 -> KQuantR4Kernel.Q4_K_R4;
            case Q5_K_R4 -> KQuantR4Kernel.Q5_K_R4;
            case Q6_K_R4 -> Q6KR4Kernel.INSTANCE;
            case Q5_0_R4 -> Q50R4Kernel.INSTANCE;
            case Q8_0_R8 -> Q80R8Kernel.INSTANCE;
            default -> null;
        };
    }

    /** Column offsets (within 32 columns) of the 8 lane groups, in the order the kernel reads them. */
    private final int[] offsets;
    /** Columns a row must be a multiple of. */
    private final int blockColumns;
    /** Rows per interleaved group (4 or 8). */
    private final int groupRows;
    /** Whether the rows need 32-column sums of the activations (types with a per-block minimum). */
    private final boolean sums;

    InterleavedKernel(int[] offsets, int blockColumns, int groupRows, boolean sums) {
        this.offsets = offsets;
        this.blockColumns = blockColumns;
        this.groupRows = groupRows;
        this.sums = sums;
    }

    final int[] offsets() {
        return offsets;
    }

    final boolean needsSums() {
        return sums;
    }

    final int blockColumns() {
        return blockColumns;
    }

    /** Floats of the {@code scratch} array {@link #rows} needs. */
    int scratchFloats() {
        return SCRATCH;
    }

    boolean supports(int cols) {
        return cols % blockColumns() == 0;
    }

    /** Floats of {@link #expand} output for rows of {@code cols}. */
    int expandedSize(int cols) {
        return cols / 32 * EXPANDED + (needsSums() ? cols / 8 : 0);
    }

    /** The most any kernel's {@link #expand} writes for rows of {@code cols} (per-thread scratch is sized by it). */
    static int maxExpandedSize(int cols) {
        return cols / 32 * EXPANDED + cols / 8;
    }

    /**
     * One token's activations x[xo..xo+cols) as the kernel reads them: per 32 columns, lane group h holds
     * x[base + offsets[h] + lane % 4] in L lanes; with {@link #needsSums} then, per 256 columns, 32 slots
     * s = 4ib + k holding the sum of 32-column block ib (for row k's minimum).
     */
    final void expand(float[] x, int xo, int cols, float[] ex) {
        int[] off = offsets();
        int nb = cols / 32;
        for (int ib = 0; ib < nb; ib++) {
            int e = ib * EXPANDED, base = xo + 32 * ib;
            for (int h = 0; h < 8; h++) {
                int src = base + off[h];
                for (int lane = 0; lane < L; lane++) ex[e + L * h + lane] = x[src + (lane & 3)];
            }
            if (needsSums()) {
                float s = 0;
                for (int j = 0; j < 32; j++) s += x[base + j];
                int slot = nb * EXPANDED + 32 * (ib / 8) + 4 * (ib % 8);
                for (int k = 0; k < 4; k++) ex[slot + k] = s;
            }
        }
    }

    /**
     * out[outOff + r] for every row r in [r0, r1) (r0 a multiple of the interleave, r1 too or the row count)
     * against one expanded token; {@code scratch} holds {@link #scratchFloats} floats, {@code stage} at least
     * {@link #STAGE_BYTES} + 128 bytes.
     */
    final void rows(MemorySegment data, long rowBytes, long r0, long r1, int cols, float[] ex, float[] out, int outOff, float[] scratch, byte[] stage) {
        long r = r0;
        if (pairs()) {
            for (; r + 2L * groupRows <= r1; r += 2L * groupRows)
                pair(data, r * rowBytes, (r + groupRows) * rowBytes, cols, ex, out, outOff + (int) r, scratch, stage);
        }
        for (; r < r1; r += groupRows) group(data, r * rowBytes, cols, ex, out, outOff + (int) r, scratch, stage);
    }

    /** out[o..o+groupRows) for the group whose bytes start at data[off]. */
    abstract void group(MemorySegment data, long off, int cols, float[] ex, float[] out, int o, float[] scratch, byte[] stage);

    /**
     * Whether {@link #rows} hands this kernel two neighbouring groups at a time ({@link #pair}): at 16 lanes the
     * expanded activations of a 4096-column row (64 KB) stream from L2, and two groups that share each activation
     * load read them half as often per weight.
     */
    boolean pairs() {
        return false;
    }

    /**
     * out[o..o+2·groupRows) for the groups whose bytes start at data[off] and data[off2] (see {@link #pairs}); with
     * {@code off2 < 0} only the first, into out[o..o+groupRows) (a kernel that pairs runs its single groups so).
     */
    void pair(MemorySegment data, long off, long off2, int cols, float[] ex, float[] out, int o, float[] scratch, byte[] stage) {
        group(data, off, cols, ex, out, o, scratch, stage);
        if (off2 >= 0) group(data, off2, cols, ex, out, o + groupRows, scratch, stage);
    }

    /** How many units of {@code unitBytes} one staging copy takes. */
    static int stagedUnits(int unitBytes) {
        return Math.max(1, STAGE_BYTES / unitBytes);
    }

    /** How many units of {@code unitBytes} one staging copy of each of two paired groups takes (half the stage each). */
    static int pairedUnits(int unitBytes) {
        return Math.max(1, STAGE_BYTES / 2 / unitBytes);
    }

    /** Copies {@code units} units of {@code unitBytes} from data[off] into stage[0..). */
    static void stage(MemorySegment data, long off, int unitBytes, int units, byte[] stage) {
        stage(data, off, unitBytes, units, stage, 0);
    }

    /** Copies {@code units} units of {@code unitBytes} from data[off] into stage[at..). */
    static void stage(MemorySegment data, long off, int unitBytes, int units, byte[] stage, int at) {
        MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_BYTE, off, stage, at, unitBytes * units);
    }

    /** The fp16 at stage[o..o+2) as a float. */
    static float f16(byte[] stage, int o) {
        return Float.float16ToFloat((short) SHORT.get(stage, o));
    }

    /**
     * Sums each row's four lanes of the accumulator stored at scratch[at..at+L) (row k in lanes 4k..4k+3, rows
     * {@code first…}) into out[o + first + k]. Arrays only (see the note above).
     */
    static void sumRows(float[] scratch, int at, float[] out, int o, int first) {
        for (int k = 0; k < L / 4; k++) {
            int i = at + 4 * k;
            out[o + first + k] = scratch[i] + scratch[i + 1] + scratch[i + 2] + scratch[i + 3];
        }
    }
}
