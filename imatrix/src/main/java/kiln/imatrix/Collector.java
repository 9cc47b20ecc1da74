package kiln.imatrix;

import kiln.runtime.kernel.MatmulObserver;
import kiln.runtime.kernel.Weight;
import kiln.tensor.KilnException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The evaluation callback of llama-imatrix as a {@link MatmulObserver} (the runtime's hook): every product with a weight whose
 * name starts with {@code blk.} (and {@code output.weight} with --process-output) and at least 16 activation rows
 * is recorded; expert products (MUL_MAT_ID) are recorded whatever their size. Rows of a 3-D tensor's slice go to
 * that expert's/head's matrix; a 2-D tensor the runtime multiplies per head (ik's attn_k_b/attn_v_b) pools its
 * heads into its one matrix.
 */
final class Collector implements MatmulObserver {
    private final ModelTensors model;
    private final boolean processOutput;
    final Map<String, Accumulator> stats = new LinkedHashMap<>();
    private long batch;

    private final boolean fusedSquares;

    /** @param fusedSquares accumulate squares with FMAs, as ik's collector does (mainline rounds each square) */
    Collector(ModelTensors model, boolean processOutput, boolean fusedSquares) {
        this.model = model;
        this.processOutput = processOutput;
        this.fusedSquares = fusedSquares;
    }

    /** Marks the start of a micro-batch (one graph evaluation: ik's ncall counts these). */
    void nextBatch() {
        batch++;
    }

    @Override
    public void onMatmul(Weight w, float[] x, int xOff, int xStride, int nTok) {
        String name = w.name();
        if (!name.startsWith("blk.") && !(processOutput && name.equals("output.weight"))) return;
        boolean moe = name.contains("_exps.");
        if (!moe && nTok < 16) return;
        Accumulator a = stats.get(name);
        if (a == null) {
            a = new Accumulator(name, w.cols(), model.nMat(name), moe);
            stats.put(name, a);
        }
        if (a.ne0 != w.cols()) throw new KilnException("inconsistent size for " + name + " (" + a.ne0 + " vs " + w.cols() + ")");
        int mat = a.nMat == 1 ? 0 : w.slice();
        if (mat < 0 || mat >= a.nMat) throw new KilnException(name + ": slice " + mat + " outside its " + a.nMat + " matrices");
        if (!a.add(mat, x, xOff, xStride, nTok, fusedSquares)) throw new KilnException("non-finite activations detected in " + name);
        if (a.lastBatch != batch) {
            a.ncall++;
            a.lastBatch = batch;
        }
    }

    /** Seeds an entry with statistics loaded from an earlier file (--in-file). */
    Accumulator seed(String name, int ne0, int nMat, boolean moe) {
        Accumulator a = stats.get(name);
        if (a == null) {
            a = new Accumulator(name, ne0, nMat, moe);
            stats.put(name, a);
        }
        return a;
    }
}
