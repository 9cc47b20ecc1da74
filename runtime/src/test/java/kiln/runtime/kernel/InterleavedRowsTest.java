package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link InterleavedRows} (prompt rows decoded straight from _R4/_R8 bytes) against the scalar oracle — the repack
 * codec's unpack, then the base codec — and against what the prompt tiles read before it: the unpacked rows through
 * the base type's vector decoder, bit for bit. Random blocks (every quant and scale bit pattern, sane fp16 scales) and
 * quantized Gaussian rows, at awkward widths (one block, a chunk and a bit, odd block counts, groups staged in more than one copy). The build runs this a
 * second time at 256 bits (-XX:MaxVectorSize=32), so both widths' bodies are checked.
 */
class InterleavedRowsTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_R4", "Q6_K_R4", "Q5_0_R4", "Q8_0_R8"})
    void rowsEqualTheUnpackedRowsAndTheScalarOracle(String name) {
        GgmlType type = GgmlType.valueOf(name);
        InterleavedRows decoder = InterleavedRows.forType(type);
        assertNotNull(decoder, "no " + type + " decoder at " + VectorKernels.describe());
        Interleaver il = Interleavers.requirePacked(type);
        GgmlType base = il.baseType();
        RowCodec baseCodec = Codecs.find(base);
        TypeKernels.Decode vectorDecode = TypeKernels.of(base).decode();
        Random r = new Random(type.ordinal());
        int[] widths = type.blockSize() == 32 ? new int[] {32, 96, 256, 288, 352, 4096} : new int[] {256, 512, 2304, 3840};
        byte[] scratch = new byte[InterleavedRows.SCRATCH_BYTES];
        float[] scales = new float[InterleavedRows.SCALE_FLOATS];
        for (int cols : widths) {
            for (boolean quantized : new boolean[] {false, true}) {
                int groups = 3, n = il.rows();
                MemorySegment plain = quantized ? quantizedRows(baseCodec, groups * n, cols, r) : randomRows(base, groups * n, cols, r);
                long rb = base.rowSize(cols), gb = il.groupBytes(cols);
                MemorySegment packed = Arena.ofAuto().allocate(gb * groups, 64);
                for (int g = 0; g < groups; g++) il.repack(plain, g * il.baseGroupBytes(cols), packed, g * gb, cols);
                MemorySegment unpacked = Arena.ofAuto().allocate(rb * groups * n, 64);
                for (int g = 0; g < groups; g++) il.unpack(packed, g * gb, unpacked, g * il.baseGroupBytes(cols), cols);
                byte[] stage = new byte[KQuantDots.scratchSize(rb)];
                float[] rows = new float[4 * cols], oracle = new float[cols], current = new float[cols];
                for (int g = 0; g < groups; g++) {
                    for (int first = 0; first < n; first += 4) {
                        decoder.rows(packed, g * gb, cols, first, scratch, scales, rows);
                        for (int k = 0; k < 4; k++) {
                            long row = (long) g * n + first + k;
                            baseCodec.dequantize(unpacked, row * rb, oracle, 0, cols);
                            vectorDecode.row(unpacked, row * rb, cols, stage, current);
                            float max = 0;
                            for (float v : oracle) max = Math.max(max, Math.abs(v));
                            for (int i = 0; i < cols; i++) {
                                float got = rows[k * cols + i];
                                String at = type + " cols=" + cols + (quantized ? " quantized" : " random") + " row=" + row + " col=" + i;
                                assertEquals(Float.floatToRawIntBits(current[i]), Float.floatToRawIntBits(got), at + ": " + current[i] + " vs " + got);
                                // Q4_K's vector decoders fuse d·sc·q − dmin·m into one fma; the codec rounds twice
                                if (type == GgmlType.Q4_K_R4) assertEquals(oracle[i], got, 1e-6f * max, at);
                                else assertEquals(Float.floatToRawIntBits(oracle[i]), Float.floatToRawIntBits(got), at + ": " + oracle[i] + " vs " + got);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The tiles on the interleaved weight give what they give on its base rows (the same floats, the same tile calls). */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_R4", "Q6_K_R4", "Q5_0_R4", "Q8_0_R8"})
    void promptProductsEqualTheBaseRows(String name) {
        GgmlType type = GgmlType.valueOf(name);
        Interleaver il = Interleavers.requirePacked(type);
        RowCodec baseCodec = Codecs.find(il.baseType());
        Random r = new Random(31 + type.ordinal());
        Kernels v = VectorKernels.create();
        int n = il.rows();
        for (int cols : type.blockSize() == 32 ? new int[] {96, 352} : new int[] {256, 768}) {
            int rows = 5 * n;
            MemorySegment plain = randomRows(il.baseType(), rows, cols, r);
            long gb = il.groupBytes(cols);
            MemorySegment packed = Arena.ofAuto().allocate(gb * (rows / n), 64);
            for (int g = 0; g < rows / n; g++) il.repack(plain, g * il.baseGroupBytes(cols), packed, g * gb, cols);
            Weight w = new Weight("w", type, Codecs.find(type), packed, rows, cols);
            Weight b = new Weight("b", il.baseType(), baseCodec, plain, rows, cols);
            for (int nTok : new int[] {8, 11, 16}) {
                float[] x = KernelsTest.rnd(r, nTok * cols + 3);
                float[] o1 = new float[nTok * rows], o2 = new float[nTok * rows];
                float[] buf = new float[4 * cols], group = new float[Math.max(n * cols, InterleavedKernel.maxExpandedSize(cols))];
                v.matmulRows(b, 0, rows, x, 3, cols, nTok, o1, 0, rows, buf, group);
                v.matmulRows(w, n, rows, x, 3, cols, nTok, o2, 0, rows, buf, group); // from the second group, as Backend's tasks start
                for (int t = 0; t < nTok; t++) {
                    for (int i = 0; i < n; i++) assertEquals(0f, o2[t * rows + i]);
                    for (int i = n; i < rows; i++) {
                        float want = o1[t * rows + i];
                        // the same arithmetic; only the JIT's lane-reduction order may differ between two compiled callers
                        assertEquals(want, o2[t * rows + i], 1e-6 * (1 + Math.abs(want)), type + " cols=" + cols + " nTok=" + nTok + " t=" + t + " row=" + i);
                    }
                }
            }
        }
    }

    /** Random base blocks with every fp16 scale sane (|d| ≈ 0.01) and all other bytes random. */
    static MemorySegment randomRows(GgmlType base, int rows, int cols, Random r) {
        byte[] b = new byte[Math.toIntExact(base.rowSize(cols) * rows)];
        r.nextBytes(b);
        int[] halves = switch (base) {
            case Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case Q5_0, Q8_0 -> new int[] {0};
            default -> throw new IllegalArgumentException(base.ggmlName());
        };
        for (int o = 0; o < b.length; o += base.typeSize()) {
            for (int h : halves) {
                short f = kiln.tensor.Fp16.floatToHalf((float) r.nextGaussian() * 0.01f);
                b[o + h] = (byte) f;
                b[o + h + 1] = (byte) (f >> 8);
            }
        }
        MemorySegment seg = Arena.ofAuto().allocate(b.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, seg, 0, b.length);
        return seg;
    }

    static MemorySegment quantizedRows(RowCodec codec, int rows, int cols, Random r) {
        long rb = codec.type().rowSize(cols);
        MemorySegment seg = Arena.ofAuto().allocate(rb * rows, 64);
        float[] v = KernelsTest.rnd(r, rows * cols);
        for (int i = 0; i < rows; i++) codec.quantize(v, i * cols, seg, i * rb, cols, null);
        return seg;
    }
}
