package kiln.runtime.model;

import kiln.runtime.kernel.Weight;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;

import java.lang.foreign.MemorySegment;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Looks up the tensors of an opened GGUF as {@link Weight}s, checking shapes and that Kiln can run their type; each
 * weight leaves planned ({@link kiln.runtime.kernel.Backend#planned}: its matmul plan resolved once, here at load).
 */
public final class WeightSource {
    private final GgufFile file;
    private final String fileName;
    private final UnaryOperator<Weight> planner;

    /** Weights without a plan (a backend resolves one per product). */
    public WeightSource(GgufFile file) {
        this(file, UnaryOperator.identity());
    }

    /** Weights planned by {@code planner} (the model's backend's {@code planned}). */
    public WeightSource(GgufFile file, UnaryOperator<Weight> planner) {
        this.file = file;
        this.fileName = file.path().getFileName().toString();
        this.planner = planner;
    }

    /** {@code w} (a weight derived at load from this file's) with its plan. */
    public Weight planned(Weight w) {
        return planner.apply(w);
    }

    public GgufFile file() {
        return file;
    }

    public String fileName() {
        return fileName;
    }

    public boolean has(String name) {
        return file.hasTensor(name);
    }

    public TensorInfo info(String name) {
        return file.tensor(name);
    }

    /** A required tensor whose shape must equal {@code ne} (missing trailing dimensions count as 1). */
    public Weight require(String name, long... ne) {
        TensorInfo t = file.tensor(name);
        if (t == null) throw new KilnException(fileName + ": missing tensor '" + name + "' (expected shape " + Arrays.toString(ne) + ")");
        return toWeight(t, ne);
    }

    /** An optional tensor: null when absent, otherwise checked like {@link #require}. */
    public Weight optional(String name, long... ne) {
        TensorInfo t = file.tensor(name);
        return t == null ? null : toWeight(t, ne);
    }

    private Weight toWeight(TensorInfo t, long[] ne) {
        checkShape(t, ne);
        RowCodec codec = codecFor(t.type(), t.name());
        long rows = t.rowCount();
        return planner.apply(repacked(new Weight(t.name(), t.type(), codec, file.data(t), rows, (int) t.dim(0)), t));
    }

    public void checkShape(TensorInfo t, long[] ne) {
        int n = Math.max(ne.length, t.nDims());
        for (int i = 0; i < n; i++) {
            long want = i < ne.length ? ne[i] : 1;
            if (t.dim(i) != want) {
                throw new KilnException(fileName + ": tensor '" + t.name() + "' has shape " + t.shapeString() + " but the hyperparameters say "
                        + Arrays.toString(ne) + "; the file's tensors do not match its metadata");
            }
        }
    }

    /** A small f32 vector (norm weights, biases) copied onto the heap. */
    public float[] vector(String name, long n) {
        Weight w = require(name, n);
        float[] v = new float[(int) n];
        float[] group = new float[(int) n * w.interleave()];
        w.dequantizeRow(0, v, 0, group);
        return v;
    }

    public float[] optionalVector(String name, long n) {
        return has(name) ? vector(name, n) : null;
    }

    static RowCodec codecFor(GgmlType type, String tensor) {
        // the trellis types as ik's kernels read them (their row scale × 1.05 / 1.01), not as its dequantize_row does
        RowCodec c = kiln.tensor.codec.ik.IkKernelCodecs.forRuntime(type);
        if (c == null) c = Codecs.find(type);
        if (c != null) return c;
        throw new KilnException("Kiln cannot run type " + type.ggmlName() + " (tensor '" + tensor + "'); it runs: " + runnableTypes());
    }

    /** Every type Kiln can run: every type it has a codec for (interleaved ones included). */
    static String runnableTypes() {
        return Codecs.supported();
    }

    /**
     * Run-time repack (-rtr, as ik_llama.cpp): a tensor ik would repack becomes its interleaved type, written
     * off-heap through the same interleaver as `kiln repack`; others are returned unchanged.
     */
    Weight repacked(Weight w, TensorInfo t) {
        if (repackArena == null) return w;
        GgmlType target = Interleavers.ikRepackedType(t.name(), t.type(), t.ne(), false);
        if (target == null) return w;
        Interleaver il = Interleavers.forPacked(target);
        if (il == null) return w;
        long groups = w.rows() / il.rows();
        long gb = il.groupBytes(w.cols()), bb = il.baseGroupBytes(w.cols());
        MemorySegment dst = repackArena.allocate(gb * groups, 64);
        for (long g = 0; g < groups; g++) il.repack(w.data(), g * bb, dst, g * gb, w.cols());
        repackedCount++;
        return new Weight(w.name(), target, Codecs.find(target), dst, w.rows(), w.cols());
    }

    private java.lang.foreign.Arena repackArena;
    private int repackedCount;

    /** Turns on run-time repacking into memory owned by {@code arena}. */
    void enableRunTimeRepack(java.lang.foreign.Arena arena) {
        this.repackArena = arena;
    }

    int repackedCount() {
        return repackedCount;
    }
}
