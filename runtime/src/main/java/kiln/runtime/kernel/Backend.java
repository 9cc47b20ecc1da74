package kiln.runtime.kernel;

import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;

/**
 * Kernels + thread pool + per-thread scratch: the one object a model graph calls for parallel matrix products.
 * Rows are split into ranges handed out dynamically; ranges are multiples of the weight's interleave factor
 * and of 16 rows (64 bytes of f32 output) so no two threads write one cache line. Its {@link Numerics} are fixed at
 * construction; each weight's {@link MatmulPlan} (activation rounding, summation order, kernel) is resolved once at
 * load ({@link #planned}), so a product only schedules.
 */
public final class Backend implements AutoCloseable {
    /** Products below this many multiply-adds run on the calling thread. */
    static final long SERIAL_WORK = 1L << 18;

    private final Kernels kernels;
    private final WorkerPool pool;
    private final float[][] rowBuf;
    private final float[][] groupBuf;

    // the matmul in flight (set before pool.run; only one op runs at a time)
    private Weight w;
    private float[] x, out;
    private int xOff, xStride, nTok, outOff, outStride;
    private long chunk;
    private final WorkerPool.Body matmulBody = this::matmulTask;

    private final float[] act;
    /** Activation rows in {@link GgmlDots#splitPairs} layout for the vectorised reference orders. */
    private final float[] actSplit;
    private boolean split;
    /** The reference orders run vectorised with the Vector API kernels, scalar with the scalar oracle. */
    private final boolean vectorDots;
    private final MemorySegment actScratch;
    private final int maxTokens, maxCols;
    /** Whose arithmetic the products reproduce: fixed at construction (the model's, chosen at load). */
    private final Numerics numerics;

    public Backend(Kernels kernels, int threads, int maxCols, int maxInterleave, int maxTokens, Numerics numerics) {
        this.kernels = kernels;
        this.numerics = java.util.Objects.requireNonNull(numerics);
        this.maxTokens = maxTokens;
        this.maxCols = maxCols;
        this.act = new float[maxTokens * maxCols];
        this.actScratch = MemorySegment.ofArray(new long[(maxCols * 2 + 1024) / 8]);
        this.pool = new WorkerPool(threads);
        this.rowBuf = new float[pool.threads()][4 * maxCols]; // four rows for the prompt tiles
        this.groupBuf = new float[pool.threads()][Math.max(maxCols * Math.max(1, maxInterleave), InterleavedKernel.maxExpandedSize(maxCols))];
        this.vectorDots = !(kernels instanceof ScalarKernels);
        this.actSplit = new float[maxTokens * maxCols];
    }

    /** The numerics this backend's products reproduce. */
    public Numerics numerics() {
        return numerics;
    }

    /** {@code w} carrying its {@link MatmulPlan} under this backend's numerics and kernels (resolved now, once). */
    public Weight planned(Weight w) {
        return w.withPlan(MatmulPlan.resolve(w.type(), w.cols(), numerics, vectorDots));
    }

    private boolean expertCall;

    /** {@link #matmul} for one expert's rows of a MoE tensor (ggml's mul_mat_id, which sums in another order). */
    public void matmulExpert(Weight w, float[] x, int xOff, int xStride, int nTok, float[] out, int outOff, int outStride) {
        expertCall = true;
        try {
            matmul(w, x, xOff, xStride, nTok, out, outOff, outStride);
        } finally {
            expertCall = false;
        }
    }

    private void rows(long r0, long r1, int worker) {
        float[] rowBuf = this.rowBuf[worker], group = groupBuf[worker];
        int cols = w.cols();
        MatmulPlan p = w.plan();
        if (p.referenceSum) {
            boolean f32 = p.f32Sum, vec = p.expertVecSum && expertCall;
            if (split) { // vectorised: weights straight from the mapping, activations in split layout
                long rb = w.rowBytes();
                for (long r = r0; r < r1; r++) {
                    for (int t = 0; t < nTok; t++) {
                        int o = outOff + t * outStride + (int) r;
                        out[o] = vec ? GgmlDots.bf16VecRow(w.data(), r * rb, actSplit, t * cols, x, xOff + t * xStride, cols)
                                : GgmlDots.bf16GemmRow(w.data(), r * rb, actSplit, t * cols, cols);
                    }
                }
                return;
            }
            for (long r = r0; r < r1; r++) { // the scalar forms
                w.dequantizeRow(r, rowBuf, 0, group);
                for (int t = 0; t < nTok; t++) {
                    int xo = xOff + t * xStride, o = outOff + t * outStride + (int) r;
                    if (f32) out[o] = GgmlDots.f32Gemm(rowBuf, 0, x, xo, cols, vectorDots);
                    else out[o] = vec ? GgmlDots.bf16Vec(rowBuf, 0, x, xo, cols) : GgmlDots.bf16Gemm(rowBuf, 0, x, xo, cols);
                }
            }
            return;
        }
        kernels.matmulRows(w, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, rowBuf, group);
    }

    private volatile MatmulObserver observer;

    /** Sees the f32 activations of every product (before any activation rounding); null removes it. */
    public void setObserver(MatmulObserver o) {
        this.observer = o;
    }

    public Kernels kernels() {
        return kernels;
    }

    public WorkerPool pool() {
        return pool;
    }

    public int threads() {
        return pool.threads();
    }

    /** Whether an activation observer is installed. */
    public boolean observed() {
        return observer != null;
    }

    /** {@link #matmul} that the observer does not see (products of cached values, not of activations). */
    public void matmulUnobserved(Weight w, float[] x, int xOff, int xStride, int nTok, float[] out, int outOff, int outStride) {
        MatmulObserver o = observer;
        observer = null;
        try {
            matmul(w, x, xOff, xStride, nTok, out, outOff, outStride);
        } finally {
            observer = o;
        }
    }

    /** out[outOff + t*outStride + r] = W[r] · x[xOff + t*xStride ..] for every row r and token t. */
    public void matmul(Weight w, float[] x, int xOff, int xStride, int nTok, float[] out, int outOff, int outStride) {
        MatmulObserver obs = observer;
        if (obs != null) obs.onMatmul(w, x, xOff, xStride, nTok);
        MatmulPlan p = w.plan();
        if (p == null || !p.madeFor(numerics, vectorDots)) { // a weight built without a plan (tests, benchmarks)
            w = planned(w);
            p = w.plan();
        }
        int cols = w.cols();
        boolean fits = nTok <= maxTokens && cols <= maxCols;
        kiln.tensor.GgmlType at = p.roundTo;
        if (at != null && fits) {
            RowCodec aq = p.roundCodec;
            for (int t = 0; t < nTok; t++) {
                if (aq == null) FastRows.round(at, x, xOff + t * xStride, cols, act, t * cols);
                else ActivationQuant.round(aq, x, xOff + t * xStride, cols, actScratch, act, t * cols);
            }
            x = act;
            xOff = 0;
            xStride = cols;
        }
        split = p.splitPairs && fits;
        if (split) for (int t = 0; t < nTok; t++) GgmlDots.splitPairs(x, xOff + t * xStride, actSplit, t * cols, cols);
        this.w = w;
        this.x = x;
        this.xOff = xOff;
        this.xStride = xStride;
        this.nTok = nTok;
        this.out = out;
        this.outOff = outOff;
        this.outStride = outStride;
        if (w.rows() * (long) w.cols() * nTok < SERIAL_WORK) {
            // waking the pool costs more than the product itself
            rows(0, w.rows(), 0);
            this.w = null;
            this.x = null;
            this.out = null;
            return;
        }
        int unit = Math.max(16, w.interleave());
        long units = (w.rows() + unit - 1) / unit;
        long perTask = Math.max(1, units / (4L * pool.threads()));
        chunk = perTask * unit;
        int tasks = (int) ((w.rows() + chunk - 1) / chunk);
        pool.run(tasks, matmulBody);
        this.w = null;
        this.x = null;
        this.out = null;
    }

    /**
     * One product of {@link #matmulAll}: out[outOff + t·outStride + r] = w[r] · x[xOff + t·xStride ..] for nTok
     * tokens; {@code expert} marks a routed expert's rows (see {@link #matmulExpert}). Mutable, so a model keeps
     * its products and evaluating a token allocates nothing.
     */
    public static final class Product {
        Weight w;
        float[] x, out;
        int xOff, xStride, nTok, outOff, outStride;
        boolean expert;

        public Product set(Weight w, float[] x, int xOff, int xStride, int nTok, float[] out, int outOff, int outStride, boolean expert) {
            this.w = w;
            this.x = x;
            this.xOff = xOff;
            this.xStride = xStride;
            this.nTok = nTok;
            this.out = out;
            this.outOff = outOff;
            this.outStride = outStride;
            this.expert = expert;
            return this;
        }
    }

    /**
     * Whether {@link #matmulAll} runs its products in one dispatch: with Kiln's own numerics and nobody observing.
     * The reference numerics round activations per product and the observer sees products one at a time, in order.
     */
    public boolean fusesProducts() {
        return numerics.sumOrder() == Numerics.SumOrder.FAST && numerics.rounding() == Numerics.ActivationRounding.NONE && observer == null;
    }

    // the products of the matmulAll in flight
    private Product[] batch;
    private int batchCount;
    private long[] batchChunk = new long[0];
    private int[] batchFirstTask = new int[0];
    private final WorkerPool.Body batchBody = this::batchTask;

    /**
     * Products that read none of each other's outputs, as one parallel step (ik's fused MoE: all of a layer's
     * experts in one hand-off to the pool, tasks drawn across them, no wake-up and no idle tail per expert). Each row
     * is computed by the same kernel call as {@link #matmul} would make, so results are identical. When
     * {@link #fusesProducts} is false they run one by one, in order, through {@link #matmul}/{@link #matmulExpert}.
     */
    public void matmulAll(Product[] ps, int count) {
        if (!fusesProducts()) {
            for (int i = 0; i < count; i++) {
                Product p = ps[i];
                if (p.expert) matmulExpert(p.w, p.x, p.xOff, p.xStride, p.nTok, p.out, p.outOff, p.outStride);
                else matmul(p.w, p.x, p.xOff, p.xStride, p.nTok, p.out, p.outOff, p.outStride);
            }
            return;
        }
        long work = 0, rows = 0;
        for (int i = 0; i < count; i++) {
            work += ps[i].w.rows() * ps[i].w.cols() * (long) ps[i].nTok;
            rows += ps[i].w.rows();
        }
        if (work < SERIAL_WORK) {
            for (int i = 0; i < count; i++) rowsOf(ps[i], 0, ps[i].w.rows(), 0);
            return;
        }
        if (batchChunk.length < count) {
            batchChunk = new long[count];
            batchFirstTask = new int[count + 1];
        }
        long target = Math.max(1, rows / (4L * pool.threads()));
        int tasks = 0;
        for (int i = 0; i < count; i++) {
            Weight w = ps[i].w;
            long unit = Math.max(16, w.interleave());
            batchChunk[i] = Math.max(1, (target + unit - 1) / unit) * unit;
            batchFirstTask[i] = tasks;
            tasks += (int) ((w.rows() + batchChunk[i] - 1) / batchChunk[i]);
        }
        batchFirstTask[count] = tasks;
        batch = ps;
        batchCount = count;
        try {
            pool.run(tasks, batchBody);
        } finally {
            batch = null;
        }
    }

    private void batchTask(int task, int worker) {
        int j = 0;
        while (batchFirstTask[j + 1] <= task) j++;
        long r0 = (task - batchFirstTask[j]) * batchChunk[j];
        rowsOf(batch[j], r0, Math.min(batch[j].w.rows(), r0 + batchChunk[j]), worker);
    }

    private void rowsOf(Product p, long r0, long r1, int worker) {
        kernels.matmulRows(p.w, r0, r1, p.x, p.xOff, p.xStride, p.nTok, p.out, p.outOff, p.outStride, rowBuf[worker], groupBuf[worker]);
    }

    private void matmulTask(int task, int worker) {
        long r0 = task * chunk;
        long r1 = Math.min(w.rows(), r0 + chunk);
        rows(r0, r1, worker);
    }

    @Override
    public void close() {
        pool.close();
    }
}
