package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API kernels. Generation (one token): each row dotted straight from the mapping by its type's kernel
 * ({@link TypeKernels}: the row codecs here, {@link KQuantDots}), ik's interleaved types in place
 * ({@link InterleavedKernel}). Prompt batches: each row is dequantized once (its type's decoder, else its codec) and
 * multiplied four rows by four tokens in registers; interleaved groups are decoded straight from their bytes for the
 * same tiles ({@link InterleavedRows}: Q4_K_R4, Q6_K_R4, Q5_0_R4, Q8_0_R8) or else unpacked once to base rows.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int L = F.length();
    /** Bytes species with one lane per float lane (null for 128-bit floats: no 32-bit byte vectors). */
    private static final VectorSpecies<Byte> B = L >= 8 && 32 % L == 0 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;

    /**
     * Below this many tokens an interleaved product runs the in-place kernel once per token rather than unpacking
     * each group for the 4×4 tiles: JMH (1024 × 4096, 512 bits, shared Zen 4, one pinned core) measured in place 3–16 %
     * faster at 4, 6 and 7 tokens (Q4_K_R4 994–1854 against 1130–2015 µs, Q6_K_R4 1266–2183 against 1393–2257), the
     * tiles 1.4× faster at 8 (1421 against 2058: whole tiles, no remainder tokens). Re-measured once
     * {@link InterleavedRows} made the tiles cheaper ({@code PromptCrossoverBenchmarks}, 256 × 2048, bench/README.md):
     * Q4_K_R4's tiles now win from 4 tokens (2.2–4.9×), Q8_0_R8's in-place kernel still holds its own up to 8.
     */
    private static final int IN_PLACE_TOKENS = 8;

    /** Tokens from which an interleaved product of this type takes the tiles rather than the in-place kernel. */
    private static int inPlaceTokens(GgmlType type) {
        return type == GgmlType.Q4_K_R4 ? 4 : IN_PLACE_TOKENS;
    }

    private VectorKernels() {}

    static Kernels create() {
        if (L < 4) throw new IllegalStateException("preferred float vector has " + L + " lanes");
        // touch the species once so a broken Vector API fails here, not in the forward pass
        FloatVector.zero(F).reduceLanes(VectorOperators.ADD);
        return new VectorKernels();
    }

    /** Float lanes of this JVM's preferred vector. */
    static int lanes() {
        return L;
    }

    /** Whether byte vectors with one lane per float lane exist at this width (the Q8_0/Q5_0 kernels need them). */
    static boolean byteLanes() {
        return B != null;
    }

    static String describe() {
        return F.vectorBitSize() + "-bit, " + L + " float lanes";
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void matmulRows(Weight w, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                           float[] out, int outOff, int outStride, float[] rowBuf, float[] group) {
        int cols = w.cols();
        MatmulPlan plan = w.plan();
        if (plan == null || !plan.vectorKernels) plan = MatmulPlan.kernelsOf(w.type(), cols); // a weight built without a plan (tests, benchmarks)
        if (w.interleave() > 1) {
            InterleavedKernel ik = plan.interleavedKernel;
            boolean inPlace = ik != null && ik.supports(cols) && group.length >= ik.expandedSize(cols) && rowBuf.length >= ik.scratchFloats();
            if (nTok == 1 && !inPlace && unpackedRows(w, plan, r0, r1, x, xOff, out, outOff, rowBuf, group)) {
                return;
            }
            if (nTok < inPlaceTokens(w.type()) && inPlace) {
                // generation and small batches: the interleaved bytes in place, each weight read once per token
                for (int t = 0; t < nTok; t++) {
                    ik.expand(x, xOff + t * xStride, cols, group);
                    ik.rows(w.data(), w.rowBytes(), r0, r1, cols, group, out, outOff + t * outStride, rowBuf, stage(InterleavedKernel.STAGE_BYTES + 128)); // the staged chunk and the 8-lane bodies' decoded block
                }
            } else {
                interleavedBatch(w, plan, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, rowBuf, group);
            }
            return;
        }
        TypeKernels.Entry kernels = plan.typeKernel;
        MemorySegment data = w.data();
        long rb = w.rowBytes();
        if (nTok >= 4 && cols % L == 0 && rowBuf.length >= 4 * cols) {
            // prompt batches: four rows at a time against four tokens at a time (16 accumulators in registers)
            for (long r = r0; r < r1; r += 4) {
                int nr = (int) Math.min(4, r1 - r);
                for (int k = 0; k < nr; k++) rowTo(w, kernels, data, r + k, rb, rowBuf, k * cols, group);
                int t = 0;
                if (nr == 4) {
                    for (; t + 4 <= nTok; t += 4) tile4x4(rowBuf, 0, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + (int) r, outStride);
                }
                for (; t < nTok; t++) {
                    for (int k = 0; k < nr; k++) out[outOff + t * outStride + (int) r + k] = dot(rowBuf, k * cols, x, xOff + t * xStride, cols);
                }
            }
            return;
        }
        if (nTok == 1 && kernels != null && kernels.dot() != null && rowBuf.length >= 32
                && (!kernels.needsSums() || group.length >= KQuantDots.sumsSize(cols))) {
            // generation: each row dotted straight from the mapping by its type's kernel
            byte[] buf = stage(rb);
            if (kernels.needsSums()) KQuantDots.sums(x, xOff, cols, group);
            TypeKernels.Dot dot = kernels.dot();
            for (long r = r0; r < r1; r++) out[outOff + (int) r] = dot.dot(data, r * rb, x, xOff, group, cols, buf, rowBuf);
            return;
        }
        for (long r = r0; r < r1; r++) {
            rowTo(w, kernels, data, r, rb, rowBuf, 0, group);
            for (int t = 0; t < nTok; t++) {
                out[outOff + t * outStride + (int) r] = dot(rowBuf, 0, x, xOff + t * xStride, cols);
            }
        }
    }

    /**
     * Generation on interleaved rows without an in-place kernel (IQ4_XS_R8, the grid types' _R4, IQ1_S_R4) through the
     * base type's kernel: each group unpacked to its base rows ({@link GroupUnpacker}, into this thread's buffer), each row dotted by
     * {@link TypeKernels}. False (nothing done) when the base type has no vector dot at this width. Where an in-place
     * kernel exists it is 2–7× faster than this (JMH, bench/README.md).
     */
    private static boolean unpackedRows(Weight w, MatmulPlan plan, long r0, long r1, float[] x, int xOff, float[] out, int outOff,
                                        float[] rowBuf, float[] group) {
        int cols = w.cols(), il = w.interleave();
        GroupUnpacker unpacker = plan.unpacker;
        TypeKernels.Entry kernels = plan.baseKernel;
        if (kernels == null || kernels.dot() == null || rowBuf.length < 32 || kernels.needsSums() && group.length < KQuantDots.sumsSize(cols)) {
            return false;
        }
        long baseRb = unpacker.base().rowSize(cols);
        MemorySegment rows = unpacked(il * baseRb);
        byte[] buf = stage(baseRb);
        if (kernels.needsSums()) KQuantDots.sums(x, xOff, cols, group);
        TypeKernels.Dot dot = kernels.dot();
        for (long g = r0; g < r1; g += il) {
            unpacker.unpack().unpack(w.data(), g * w.rowBytes(), rows, 0, cols);
            for (int j = 0; j < il && g + j < r1; j++) out[outOff + (int) (g + j)] = dot.dot(rows, j * baseRb, x, xOff, group, cols, buf, rowBuf);
        }
        return true;
    }

    /**
     * Interleaved rows against a batch of tokens without the in-place kernel: the 4×4 tiles from four tokens up, else
     * each group dequantized and dotted token by token. Package-private for PromptCrossoverBenchmarks, which times it
     * beside the in-place kernel below {@link #inPlaceTokens}.
     */
    void interleavedBatch(Weight w, MatmulPlan plan, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                          float[] out, int outOff, int outStride, float[] rowBuf, float[] group) {
        if (nTok >= 4 && w.cols() % L == 0) interleavedTiles(w, plan, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, rowBuf, group);
        else matmulInterleaved(w, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, group);
    }

    /**
     * Prompt batches on interleaved rows: four rows at a time meet four tokens at a time in registers. The types
     * {@link InterleavedRows} decodes go to {@link #decodedTiles}; for the others each group is unpacked once to its base rows (the repack codec's byte shuffle, cheaper than its scalar dequantizer) and the
     * rows decoded with the base type's vector decoder; a base type without one is dequantized by the codec.
     */
    private void interleavedTiles(Weight w, MatmulPlan plan, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                                  float[] out, int outOff, int outStride, float[] rowBuf, float[] group) {
        int cols = w.cols(), il = w.interleave();
        InterleavedRows decoder = plan.interleavedRows;
        if (decoder != null && decoder.supports(cols) && rowBuf.length >= 4 * cols) {
            decodedTiles(decoder, w, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, rowBuf);
            return;
        }
        TypeKernels.Entry baseKernels = plan.baseKernel;
        boolean decodes = baseKernels != null && baseKernels.decode() != null; // base rows decoded by its kernel, not the codec
        GroupUnpacker unpacker = plan.unpacker != null && decodes && rowBuf.length >= 4 * cols ? plan.unpacker : null;
        GgmlType base = unpacker != null ? unpacker.base() : null;
        long baseRb = base != null ? base.rowSize(cols) : 0;
        for (long g = r0; g < r1; g += il) {
            MemorySegment rows = null;
            if (unpacker != null) {
                rows = unpacked(il * baseRb);
                unpacker.unpack().unpack(w.data(), g * w.rowBytes(), rows, 0, cols);
            } else {
                w.codec().dequantize(w.data(), g * w.rowBytes(), group, 0, il * cols);
            }
            for (int k = 0; k < il; k += 4) {
                float[] tile = group;
                int at = k * cols;
                if (rows != null) { // four base rows into rowBuf (rowTo stages through group)
                    for (int j = 0; j < 4; j++) rowTo(w, baseKernels, rows, k + j, baseRb, rowBuf, j * cols, group);
                    tile = rowBuf;
                    at = 0;
                }
                int t = 0;
                for (; t + 4 <= nTok; t += 4) tile4x4(tile, at, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + (int) (g + k), outStride);
                for (; t < nTok; t++) {
                    for (int j = 0; j < 4; j++) out[outOff + t * outStride + (int) (g + k + j)] = dot(tile, at + j * cols, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /**
     * {@link #interleavedTiles} for the types {@link InterleavedRows} decodes: four rows at a time straight from the
     * group's bytes into rowBuf (the floats the unpack-and-decode path makes, so the same sums), then the tiles.
     */
    private void decodedTiles(InterleavedRows decoder, Weight w, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                              float[] out, int outOff, int outStride, float[] rowBuf) {
        int cols = w.cols(), il = w.interleave();
        DecodeScratch scratch = DECODE_SCRATCH.get();
        for (long g = r0; g < r1; g += il) {
            for (int k = 0; k < il; k += 4) {
                decoder.rows(w.data(), g * w.rowBytes(), cols, k, scratch.bytes, scratch.scales, rowBuf);
                int t = 0;
                for (; t + 4 <= nTok; t += 4) tile4x4(rowBuf, 0, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + (int) (g + k), outStride);
                for (; t < nTok; t++) {
                    for (int j = 0; j < 4; j++) out[outOff + t * outStride + (int) (g + k + j)] = dot(rowBuf, j * cols, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /** A thread's scratch for {@link InterleavedRows#rows}. */
    private record DecodeScratch(byte[] bytes, float[] scales) {}

    private static final ThreadLocal<DecodeScratch> DECODE_SCRATCH = ThreadLocal.withInitial(
            () -> new DecodeScratch(new byte[InterleavedRows.SCRATCH_BYTES], new float[InterleavedRows.SCALE_FLOATS]));

    private static final ThreadLocal<MemorySegment[]> UNPACKED = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    /** This thread's native buffer for one unpacked group (grown once, then reused). */
    private static MemorySegment unpacked(long bytes) {
        MemorySegment[] h = UNPACKED.get();
        if (h[0] == null || h[0].byteSize() < bytes) h[0] = java.lang.foreign.Arena.ofAuto().allocate(bytes, 64);
        return h[0];
    }

    private static final ThreadLocal<byte[][]> STAGE = ThreadLocal.withInitial(() -> new byte[1][]);

    /** This thread's staging array for one row of {@code rowBytes} (see {@link KQuantDots}); grown once, then reused. */
    private static byte[] stage(long rowBytes) {
        byte[][] h = STAGE.get();
        if (h[0] == null || h[0].length < KQuantDots.scratchSize(rowBytes)) h[0] = new byte[KQuantDots.scratchSize(rowBytes)];
        return h[0];
    }

    /**
     * Row r of w as floats into dst[off..] (through group when off > 0: the decoders write from index 0), decoded by
     * {@code kernels} (the row's type's {@link TypeKernels} entry), else by w's codec.
     */
    private static void rowTo(Weight w, TypeKernels.Entry kernels, MemorySegment data, long r, long rb, float[] dst, int off, float[] group) {
        if (kernels == null || kernels.decode() == null) {
            w.dequantizeRow(r, dst, off, group);
            return;
        }
        float[] to = off == 0 ? dst : group;
        kernels.decode().row(data, r * rb, w.cols(), stage(rb), to);
        if (to != dst) System.arraycopy(group, 0, dst, off, w.cols());
    }

    /**
     * out[t][r+k] = row k · token t for 4 rows (rows[k·cols..]) and 4 tokens (x + t·xStride): each weight vector
     * is loaded once for four tokens and each activation vector once for four rows.
     */
    private static void tile4x4(float[] rows, int r0, int cols, float[] x, int xo, int xStride, float[] out, int oo, int outStride) {
        tile4x4(rows, r0, cols, cols, x, xo, xStride, out, oo, outStride);
    }

    /** {@link #tile4x4} with rows {@code rowStride} apart and {@code cols} (a multiple of the lane count) values each. */
    private static void tile4x4(float[] rows, int r0, int rowStride, int cols, float[] x, int xo, int xStride, float[] out, int oo, int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int c0 = r0, c1 = r0 + rowStride, c2 = r0 + 2 * rowStride, c3 = r0 + 3 * rowStride, x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        for (int i = 0; i < cols; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, rows, c0 + i), w1 = FloatVector.fromArray(F, rows, c1 + i);
            FloatVector w2 = FloatVector.fromArray(F, rows, c2 + i), w3 = FloatVector.fromArray(F, rows, c3 + i);
            FloatVector v0 = FloatVector.fromArray(F, x, xo + i), v1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i), v3 = FloatVector.fromArray(F, x, x3 + i);
            a00 = w0.fma(v0, a00); a01 = w0.fma(v1, a01); a02 = w0.fma(v2, a02); a03 = w0.fma(v3, a03);
            a10 = w1.fma(v0, a10); a11 = w1.fma(v1, a11); a12 = w1.fma(v2, a12); a13 = w1.fma(v3, a13);
            a20 = w2.fma(v0, a20); a21 = w2.fma(v1, a21); a22 = w2.fma(v2, a22); a23 = w2.fma(v3, a23);
            a30 = w3.fma(v0, a30); a31 = w3.fma(v1, a31); a32 = w3.fma(v2, a32); a33 = w3.fma(v3, a33);
        }
        VectorOperators.Associative add = VectorOperators.ADD;
        out[oo] = a00.reduceLanes(add); out[oo + 1] = a10.reduceLanes(add); out[oo + 2] = a20.reduceLanes(add); out[oo + 3] = a30.reduceLanes(add);
        oo += outStride;
        out[oo] = a01.reduceLanes(add); out[oo + 1] = a11.reduceLanes(add); out[oo + 2] = a21.reduceLanes(add); out[oo + 3] = a31.reduceLanes(add);
        oo += outStride;
        out[oo] = a02.reduceLanes(add); out[oo + 1] = a12.reduceLanes(add); out[oo + 2] = a22.reduceLanes(add); out[oo + 3] = a32.reduceLanes(add);
        oo += outStride;
        out[oo] = a03.reduceLanes(add); out[oo + 1] = a13.reduceLanes(add); out[oo + 2] = a23.reduceLanes(add); out[oo + 3] = a33.reduceLanes(add);
    }

    private static FloatVector bf16At(MemorySegment seg, long off) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, off, LE);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float dotBf16(MemorySegment seg, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = bf16At(seg, off + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = bf16At(seg, off + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        for (; i + L <= n; i += L) a0 = bf16At(seg, off + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += Float.intBitsToFloat((seg.get(kiln.tensor.LittleEndian.SHORT, off + 2L * i) & 0xFFFF) << 16) * x[xo + i];
        return s;
    }

    /** A Q8_0 row as floats (q·d per block). */
    static void dequantQ80(MemorySegment seg, long off, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long o = off + 34L * b;
            int8Times(seg, o + 2, Float.float16ToFloat(seg.get(kiln.tensor.LittleEndian.SHORT, o)), dst, 32 * b, 32);
        }
    }

    /** {@code count} (a multiple of the lane count) int8 values at seg[at..] times d into dst[to..]. */
    private static void int8Times(MemorySegment seg, long at, float d, float[] dst, int to, int count) {
        for (int p = 0; p < count; p += L) {
            ((FloatVector) ByteVector.fromMemorySegment(B, seg, at + p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, to + p);
        }
    }

    /** ik's Q8_KV: the row's f32 d, the i32 sum of its quants (unused here), then one int8 per value. */
    private static final int Q8_KV_META = 8;

    /** A Q8_KV row as floats: q·d with the row's one d ({@code dequantize_row_q8_KV}). */
    static void dequantQ8Kv(MemorySegment seg, long off, float[] dst, int n) {
        int8Times(seg, off + Q8_KV_META, seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, off), dst, 0, n);
    }

    /** Q8_KV row · f32 vector ({@code n} a multiple of 32): int8 lanes widened to floats, two FMA chains, times d once. */
    static float dotQ8Kv(MemorySegment seg, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        long q = off + Q8_KV_META;
        for (int i = 0; i < n; i += 2 * L) { // n is a multiple of 32, so of 2·L
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, seg, q + i, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B, seg, q + i + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        return seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, off) * a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Q8_0 row · f32 vector: per block, int8 lanes widened to floats, FMA, then scaled by the block's f16 d. */
    static float dotQ80(MemorySegment seg, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long o = off + 34L * b;
            float d = Float.float16ToFloat(seg.get(kiln.tensor.LittleEndian.SHORT, o));
            FloatVector bs = FloatVector.zero(F);
            for (int p = 0; p < 32; p += L) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, seg, o + 2 + p, LE).convertShape(VectorOperators.B2F, F, 0);
                bs = q.fma(FloatVector.fromArray(F, x, xo + 32 * b + p), bs);
            }
            acc = bs.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q5_0 row · f32 vector (8 or 16 float lanes): per 32-value block the low nibbles (values 0..15) and high nibbles
     * (16..31) get their fifth bit from qh through a lane mask, less 16, widened to floats, scaled by d, FMA.
     */
    static float dotQ50(MemorySegment seg, long off, float[] x, int xo, int n) {
        return dotQ50(seg, off, x, xo, n, null);
    }

    /** The Q5_0 decoder: with {@code dst} null the dot product with x, else the dequantized row into dst. */
    static float dotQ50(MemorySegment seg, long off, float[] x, int xo, int n, float[] dst) {
        FloatVector acc = FloatVector.zero(F), acc2 = FloatVector.zero(F);
        ByteVector zero = ByteVector.zero(B);
        long laneMask = (1L << L) - 1;
        for (int b = 0; b < n / 32; b++) {
            long o = off + 22L * b;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(seg.get(kiln.tensor.LittleEndian.SHORT, o)));
            int qh = seg.get(kiln.tensor.LittleEndian.INT, o + 2);
            for (int p = 0; p < 16; p += L) { // values p.. (low nibbles) and 16+p.. (high nibbles)
                ByteVector q = ByteVector.fromMemorySegment(B, seg, o + 6 + p, LE);
                ByteVector lo = q.and((byte) 0x0F).or(zero.blend((byte) 16, VectorMask.fromLong(B, (qh >>> p) & laneMask))).sub((byte) 16);
                ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                        .or(zero.blend((byte) 16, VectorMask.fromLong(B, (qh >>> (16 + p)) & laneMask))).sub((byte) 16);
                FloatVector vl = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d);
                FloatVector vh = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d);
                if (dst != null) {
                    vl.intoArray(dst, 32 * b + p);
                    vh.intoArray(dst, 32 * b + 16 + p);
                    continue;
                }
                acc = vl.fma(FloatVector.fromArray(F, x, xo + 32 * b + p), acc);
                acc2 = vh.fma(FloatVector.fromArray(F, x, xo + 32 * b + 16 + p), acc2);
            }
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }

    static void bf16ToFloat(MemorySegment seg, long off, float[] dst, int n) {
        int i = 0;
        for (; i + L <= n; i += L) bf16At(seg, off + 2L * i).intoArray(dst, i);
        for (; i < n; i++) dst[i] = Float.intBitsToFloat((seg.get(kiln.tensor.LittleEndian.SHORT, off + 2L * i) & 0xFFFF) << 16);
    }

    static float dotF32(MemorySegment seg, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, seg, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, seg, off + 4L * (i + L), LE).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        for (; i + L <= n; i += L) a0 = FloatVector.fromMemorySegment(F, seg, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += seg.get(kiln.tensor.LittleEndian.FLOAT, off + 4L * i) * x[xo + i];
        return s;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), a0);
            a1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), a1);
        }
        for (; i + L <= n; i += L) a0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), a0);
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    @Override
    public void addWeightedRows(float[] w, int wo, float[] rows, int ro, int stride, int nRows, float[] y, int yo, int n) {
        int i = 0;
        for (; i + L <= n; i += L) { // y's chunk stays in a register for the whole block of rows
            FloatVector acc = FloatVector.fromArray(F, y, yo + i);
            for (int r = 0; r < nRows; r++) acc = FloatVector.fromArray(F, rows, ro + r * stride + i).fma(FloatVector.broadcast(F, w[wo + r]), acc);
            acc.intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float a = y[yo + i];
            for (int r = 0; r < nRows; r++) a += w[wo + r] * rows[ro + r * stride + i];
            y[yo + i] = a;
        }
    }

    /**
     * Column chunk by column chunk, four query rows at a time: each value vector is loaded once for four sums (and
     * the block's chunk stays in L1 across the query rows), where separate calls stream the whole block per row.
     */
    @Override
    public void addWeightedRowsTile(float[] w, int wo, int wStride, int nQ, float[] rows, int ro, int stride, int nRows,
                                    float[] y, int yo, int yStride, int n) {
        int q4 = nQ / 4 * 4, i = 0;
        for (; i + L <= n; i += L) {
            for (int q = 0; q < q4; q += 4) weightedChunk4(w, wo + q * wStride, wStride, rows, ro + i, stride, nRows, y, yo + q * yStride + i, yStride);
        }
        for (; i < n; i++) {
            for (int q = 0; q < q4; q++) {
                int yq = yo + q * yStride + i, wq = wo + q * wStride;
                float a = y[yq];
                for (int r = 0; r < nRows; r++) a += w[wq + r] * rows[ro + r * stride + i];
                y[yq] = a;
            }
        }
        for (int q = q4; q < nQ; q++) addWeightedRows(w, wo + q * wStride, rows, ro, stride, nRows, y, yo + q * yStride, n);
    }

    /** One L-wide column chunk of four query rows' sums (weights at wo + k·wStride, sums at yo + k·yStride). */
    private static void weightedChunk4(float[] w, int wo, int wStride, float[] rows, int ro, int stride, int nRows,
                                       float[] y, int yo, int yStride) {
        FloatVector a0 = FloatVector.fromArray(F, y, yo), a1 = FloatVector.fromArray(F, y, yo + yStride);
        FloatVector a2 = FloatVector.fromArray(F, y, yo + 2 * yStride), a3 = FloatVector.fromArray(F, y, yo + 3 * yStride);
        for (int r = 0; r < nRows; r++) {
            FloatVector v = FloatVector.fromArray(F, rows, ro + r * stride);
            a0 = v.fma(FloatVector.broadcast(F, w[wo + r]), a0);
            a1 = v.fma(FloatVector.broadcast(F, w[wo + wStride + r]), a1);
            a2 = v.fma(FloatVector.broadcast(F, w[wo + 2 * wStride + r]), a2);
            a3 = v.fma(FloatVector.broadcast(F, w[wo + 3 * wStride + r]), a3);
        }
        a0.intoArray(y, yo);
        a1.intoArray(y, yo + yStride);
        a2.intoArray(y, yo + 2 * yStride);
        a3.intoArray(y, yo + 3 * yStride);
    }

    /** Softmax with the Vector API's exp (the JDK's vector math library): within a few ulp of Math.exp. */
    @Override
    public void softmax(float[] v, int o, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) m = m.max(FloatVector.fromArray(F, v, o + i));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int j = i; j < n; j++) max = Math.max(max, v[o + j]);
        float inv = 1.0f / expShifted(v, o, n, max);
        for (i = 0; i + L <= n; i += L) FloatVector.fromArray(F, v, o + i).mul(inv).intoArray(v, o + i);
        for (; i < n; i++) v[o + i] *= inv;
    }

    @Override
    public float expShifted(float[] v, int o, int n, float shift) {
        FloatVector sum = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = FloatVector.fromArray(F, v, o + i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(v, o + i);
            sum = sum.add(e);
        }
        float total = sum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(v[o + i] - shift);
            v[o + i] = e;
            total += e;
        }
        return total;
    }

    /** 4×4 register tiles ({@link #tile4x4}) where the rows and length allow, single dots at the edges. */
    @Override
    public void dotTile(float[] a, int ao, int aStride, int na, float[] b, int bo, int bStride, int nb, int n,
                        float[] out, int oo, int outStride) {
        int i = 0;
        if (n % L == 0) {
            for (; i + 4 <= na; i += 4) {
                int j = 0;
                for (; j + 4 <= nb; j += 4) {
                    tile4x4(b, bo + j * bStride, bStride, n, a, ao + i * aStride, aStride, out, oo + i * outStride + j, outStride);
                }
                for (; j < nb; j++) {
                    for (int r = i; r < i + 4; r++) out[oo + r * outStride + j] = dot(a, ao + r * aStride, b, bo + j * bStride, n);
                }
            }
        }
        for (; i < na; i++) {
            for (int j = 0; j < nb; j++) out[oo + i * outStride + j] = dot(a, ao + i * aStride, b, bo + j * bStride, n);
        }
    }

    @Override
    public void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector vs = FloatVector.broadcast(F, s);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(vs, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }
}
