package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.LittleEndian;
import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Executes a {@link QuantizePlan}: tensors in order, rows of each tensor in parallel chunks, every row dequantized
 * from the mapped input into a small float buffer and quantized by the target type's codec with its expert's slice
 * of the importance weights. Memory stays bounded (one chunk per worker); the output goes through
 * {@link GgufOutput}, so a failure leaves no file behind.
 */
public final class Quantizer {
    private static final long TARGET_CHUNK_ELEMENTS = 1 << 16;

    private Quantizer() {}

    /**
     * Checks up front that every conversion can run: first that no quantizer that needs importance weights lacks them
     * (where llama-quantize aborts), then that Kiln has the codecs, naming the first tensor that fails.
     */
    public static void checkCodecs(QuantizePlan plan) {
        for (QuantizePlan.Item it : plan.items()) {
            if (it.converts() && it.weights() == null && quantizerRequiresWeights(it.target())) {
                throw new KilnException("tensor " + it.input().name() + ": quantizing to " + it.target().ggmlName() + " needs importance"
                        + " weights and this tensor has none (llama-quantize aborts here on GGML_ASSERT(imatrix != NULL)); pass --imatrix"
                        + " FILE with an entry for it, or give it another type with --custom-q/--tensor-type");
            }
        }
        for (QuantizePlan.Item it : plan.items()) {
            if (!it.converts()) continue;
            if (it.input().type() != GgmlType.F32 && !Codecs.canDequantize(it.input().type())) {
                throw new KilnException("tensor " + it.input().name() + ": Kiln cannot read type " + it.input().type().ggmlName());
            }
            if (rowQuantizer(it.target(), plan.options().flavor()) == null) {
                throw new KilnException("tensor " + it.input().name() + ": Kiln cannot quantize to " + it.target().ggmlName()
                        + " (" + plan.options().flavor().name().toLowerCase(java.util.Locale.ROOT) + " flavour) yet");
            }
        }
    }

    /** ggml_quantize_requires_imatrix (both tools): these quantizers cannot run without importance weights. */
    static boolean quantizerRequiresWeights(GgmlType type) {
        return type == GgmlType.IQ2_XXS || type == GgmlType.IQ2_XS || type == GgmlType.IQ1_S;
    }

    /**
     * Writes the plan's output. All tensors are cut into work units (a whole tensor to copy, or a chunk of rows to
     * quantize) that run in one parallel loop, so small tensors keep every thread busy too; each unit writes its
     * bytes at their final position.
     */
    public static void run(GgufFile in, QuantizePlan plan, Path output, Progress progress) {
        run(in, plan, KeepSplit.single(plan, output), progress);
    }

    /** As {@link #run(GgufFile, QuantizePlan, Path, Progress)}, into the files of {@code files} (ik's --keep-split). */
    static void run(GgufFile in, QuantizePlan plan, KeepSplit files, Progress progress) {
        checkCodecs(plan);
        int threads = Math.max(1, plan.options().threads());
        kiln.tensor.codec.Flavor flavor = plan.options().flavor();
        // work unit u belongs to the item i with start[i] <= u < start[i+1]; only O(tensors) memory however many units
        int n = plan.items().size();
        long[] start = new long[n + 1];
        long[] chunk = new long[n];
        int[] chunksOf = new int[n];
        for (int i = 0; i < n; i++) {
            QuantizePlan.Item it = plan.items().get(i);
            long units = 1;
            if (it.converts()) {
                chunk[i] = chunkRows(it.input(), it.target());
                units = (it.input().rowCount() + chunk[i] - 1) / chunk[i];
            }
            chunksOf[i] = Math.toIntExact(units);
            start[i + 1] = start[i] + units;
        }
        AtomicIntegerArray remaining = new AtomicIntegerArray(chunksOf);
        List<GgufOutput> outs = new ArrayList<>();
        try {
            for (int f = 0; f < files.paths().size(); f++) outs.add(GgufOutput.create(files.paths().get(f), files.layouts().get(f)));
            Parallel.forEach(start[n], threads, u -> {
                int found = java.util.Arrays.binarySearch(start, u);
                int i = found >= 0 ? found : -found - 2;
                while (i + 1 < start.length && start[i + 1] <= u) i++;
                QuantizePlan.Item it = plan.items().get(i);
                TensorInfo t = it.input();
                MemorySegment src = in.data(t);
                GgufOutput out = outs.get(files.fileOf()[i]);
                int index = files.indexInFile()[i];
                long bytes;
                if (!it.converts()) {
                    out.write(index, src);
                    bytes = t.byteSize();
                } else {
                    long r0 = (u - start[i]) * chunk[i];
                    long rows = Math.min(chunk[i], t.rowCount() - r0);
                    long outRow = it.target().rowSize(t.dim(0));
                    quantizeChunk(t, it.target(), it.weights(), rowQuantizer(it.target(), flavor), rowsOf(t, src, flavor), r0, rows,
                            (first, seg) -> out.write(index, first * outRow, seg));
                    bytes = rows * t.rowSize();
                }
                progress.advance(remaining.decrementAndGet(i) == 0 ? 1 : 0, bytes);
            });
            for (GgufOutput out : outs) out.commit();
        } finally {
            for (GgufOutput out : outs) out.close();
        }
        progress.done();
    }

    /** Rows per work unit when quantizing {@code t} to {@code target} (about 64 K values, whole interleave groups). */
    public static long chunkRows(TensorInfo t, GgmlType target) {
        int group = target.isInterleaved() ? target.interleave() : 1;
        long perTask = Math.max(1, TARGET_CHUNK_ELEMENTS / t.dim(0));
        return Math.max(group, perTask / group * group);
    }

    /** Quantizes {@code n} values (one row, or one group of rows for an interleaved type) into {@code dst[off]}. */
    @FunctionalInterface
    interface RowQuantizer {
        void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n, float[] weights);
    }

    /**
     * How rows of {@code target} are produced: its codec in {@code flavor}'s way (for an interleaved type, the base
     * type's codec row by row followed by the interleaving, as ik quantizes straight to _R4/_R8 types); null when Kiln
     * cannot quantize to it.
     */
    static RowQuantizer rowQuantizer(GgmlType target, kiln.tensor.codec.Flavor flavor) {
        RowCodec c = Codecs.find(target, flavor);
        return c != null && c.canQuantize() ? c::quantize : null;
    }

    /** Supplies the float values of one row of the tensor being quantized (the converter's one-pass hook). */
    @FunctionalInterface
    public interface RowSource {
        void row(long row, float[] dst, int dstOff);
    }

    /** Receives the bytes of consecutive rows (thread-safe: called from several workers, each with its own rows). */
    @FunctionalInterface
    public interface RowSink {
        void write(long firstRow, MemorySegment bytes);
    }

    /**
     * Rows of a mapped tensor of any type Kiln can read, as f32. Rows of an interleaved type are decoded a group at a
     * time (each thread keeps its last group), so reading a tensor row by row decodes each group once.
     */
    public static RowSource rowsOf(TensorInfo t, MemorySegment src, kiln.tensor.codec.Flavor flavor) {
        final int ne0 = Math.toIntExact(t.dim(0));
        final long inRow = t.type().rowSize(ne0);
        if (t.type() == GgmlType.F32) {
            return (r, dst, off) -> MemorySegment.copy(src, LittleEndian.FLOAT, r * inRow, dst, off, ne0);
        }
        RowCodec from = Codecs.require(t.type(), flavor);
        if (!t.type().isInterleaved()) return (r, dst, off) -> from.dequantize(src, r * inRow, dst, off, ne0);
        final int rows = t.type().interleave();
        if (t.rowCount() % rows != 0) {
            throw new KilnException("tensor " + t.name() + ": " + t.rowCount() + " rows are not whole groups of " + rows
                    + " rows of " + t.type().ggmlName());
        }
        final class LastGroup {
            long first = -1;
            final float[] values = new float[ne0 * rows];
        }
        ThreadLocal<LastGroup> last = ThreadLocal.withInitial(LastGroup::new);
        return (r, dst, off) -> {
            LastGroup g = last.get();
            long first = r / rows * rows;
            if (g.first != first) {
                from.dequantize(src, first * inRow, g.values, 0, ne0 * rows);
                g.first = first;
            }
            System.arraycopy(g.values, (int) (r - first) * ne0, dst, off, ne0);
        };
    }

    /**
     * Quantizes one tensor of shape {@code t.ne()} to {@code target}: rows in parallel chunks, each row checked for
     * NaN/Inf (as ggml's validation after quantizing would fail), expert {@code i} with its slice of {@code weights}.
     */
    public static void quantizeTensor(TensorInfo t, GgmlType target, float[] weights, kiln.tensor.codec.Flavor flavor, int threads,
                                      RowSource rows, RowSink sink) {
        RowQuantizer dst = rowQuantizer(target, flavor);
        if (dst == null) throw new KilnException("Kiln cannot quantize to " + target.ggmlName() + " yet (tensor " + t.name() + ")");
        final long nrows = t.rowCount();
        final long chunkRows = chunkRows(t, target);
        long tasks = (nrows + chunkRows - 1) / chunkRows;
        Parallel.forEach(tasks, threads, task -> {
            long r0 = task * chunkRows;
            quantizeChunk(t, target, weights, dst, rows, r0, Math.min(chunkRows, nrows - r0), sink);
        });
    }

    /**
     * Quantizes rows [r0, r0+n) of {@code t} to {@code target} and hands their bytes to the sink: one work unit of
     * {@link #quantizeTensor}, for callers that schedule the units of many tensors in one parallel loop (one-pass
     * conversion). {@code r0} and {@code n} must be multiples of the target's interleave group.
     */
    public static void quantizeRows(TensorInfo t, GgmlType target, float[] weights, kiln.tensor.codec.Flavor flavor,
                                    RowSource rows, long r0, long n, RowSink sink) {
        RowQuantizer dst = rowQuantizer(target, flavor);
        if (dst == null) throw new KilnException("Kiln cannot quantize to " + target.ggmlName() + " yet (tensor " + t.name() + ")");
        quantizeChunk(t, target, weights, dst, rows, r0, n, sink);
    }

    /** Quantizes rows [r0, r0+n) and hands their bytes to the sink. */
    static void quantizeChunk(TensorInfo t, GgmlType target, float[] weights, RowQuantizer dst, RowSource rows, long r0, long n, RowSink sink) {
        final int ne0 = Math.toIntExact(t.dim(0));
        final long ne1 = t.dim(1);
        final long ne2 = t.dim(2);
        final int group = target.isInterleaved() ? target.interleave() : 1;
        final long outRow = target.rowSize(ne0);
        float[] buf = new float[ne0 * group];
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(n * outRow)]);
        long slice = -1;
        float[] w = null;
        for (long r = r0; r < r0 + n; r += group) {
            for (int g = 0; g < group; g++) {
                rows.row(r + g, buf, g * ne0);
                for (int j = g * ne0, e = j + ne0; j < e; j++) {
                    if (!Float.isFinite(buf[j])) {
                        throw new KilnException("tensor " + t.name() + " row " + (r + g) + " column " + (j - g * ne0) + " is " + buf[j]
                                + "; quantized data validation would fail");
                    }
                }
            }
            if (weights != null) {
                long expert = (r / ne1) % ne2;
                if (expert != slice) {
                    slice = expert;
                    w = new float[ne0];
                    System.arraycopy(weights, Math.toIntExact(expert * ne0), w, 0, ne0);
                }
            }
            dst.quantize(buf, 0, seg, (r - r0) * outRow, ne0 * group, w);
        }
        sink.write(r0, seg);
    }
}
