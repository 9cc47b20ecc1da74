package kiln.runtime.kernel;

/**
 * Kernels + thread pool + per-thread scratch: the one object a model graph calls for parallel matrix products.
 * Rows are split into ranges handed out dynamically; ranges are multiples of the weight's interleave factor
 * and of 16 rows (64 bytes of f32 output) so no two threads write one cache line.
 */
public final class Backend implements AutoCloseable {
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

    public Backend(Kernels kernels, int threads, int maxCols, int maxInterleave) {
        this.kernels = kernels;
        this.pool = new WorkerPool(threads);
        this.rowBuf = new float[pool.threads()][maxCols];
        this.groupBuf = new float[pool.threads()][maxCols * Math.max(1, maxInterleave)];
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

    /** out[outOff + t*outStride + r] = W[r] · x[xOff + t*xStride ..] for every row r and token t. */
    public void matmul(Weight w, float[] x, int xOff, int xStride, int nTok, float[] out, int outOff, int outStride) {
        this.w = w;
        this.x = x;
        this.xOff = xOff;
        this.xStride = xStride;
        this.nTok = nTok;
        this.out = out;
        this.outOff = outOff;
        this.outStride = outStride;
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

    private void matmulTask(int task, int worker) {
        long r0 = task * chunk;
        long r1 = Math.min(w.rows(), r0 + chunk);
        kernels.matmulRows(w, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, rowBuf[worker], groupBuf[worker]);
    }

    @Override
    public void close() {
        pool.close();
    }
}
