package kiln.runtime.kernel;

/**
 * The kernel seam: the operations whose speed matters, each with a scalar reference implementation
 * ({@link ScalarKernels}, the test oracle) and a Vector API one ({@link VectorKernels}), chosen once by
 * {@link #select}.
 */
public interface Kernels {

    String name();

    /**
     * For rows [r0, r1) of {@code w} and tokens [0, nTok): {@code out[outOff + t*outStride + r] = dot(row r, x[xOff + t*xStride ..])}.
     *
     * @param rowBuf scratch of at least {@code w.cols()} floats (with 4·cols the vector kernels tile prompt batches
     *               four rows at a time), {@code group} of interleave·cols floats (this thread's)
     */
    void matmulRows(Weight w, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                    float[] out, int outOff, int outStride, float[] rowBuf, float[] group);

    /**
     * {@link #matmulRows} for an interleaved type (_R4/_R8…): each group of interleave rows is dequantized once
     * into {@code group} (r0 is group-aligned: Backend splits on multiples of 16), then each row dotted with this
     * kernel set's {@link #dot}.
     */
    default void matmulInterleaved(Weight w, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                                   float[] out, int outOff, int outStride, float[] group) {
        int cols = w.cols(), il = w.interleave();
        for (long g = r0; g < r1; g += il) {
            w.codec().dequantize(w.data(), g * w.rowBytes(), group, 0, il * cols);
            for (int k = 0; k < il && g + k < r1; k++) {
                for (int t = 0; t < nTok; t++) out[outOff + t * outStride + (int) (g + k)] = dot(group, k * cols, x, xOff + t * xStride, cols);
            }
        }
    }

    /** Sum of a[ao+i]·b[bo+i] for i in [0, n). */
    float dot(float[] a, int ao, float[] b, int bo, int n);

    /** y[yo+i] += s·x[xo+i]. */
    void axpy(float s, float[] x, int xo, float[] y, int yo, int n);

    /**
     * y[yo+i] += Σ_r w[wo+r]·rows[ro + r·stride + i] for r in [0, nRows), i in [0, n): a weighted sum of rows added
     * to y (attention's value accumulation over a block of cache rows; y is read and written once per block).
     */
    void addWeightedRows(float[] w, int wo, float[] rows, int ro, int stride, int nRows, float[] y, int yo, int n);

    /**
     * {@link #addWeightedRows} for nQ query rows against one block of rows: for q in [0, nQ), weights at wo + q·wStride
     * and sums at yo + q·yStride (attention: the heads or tokens that read the same cached values). Each y value
     * gets the same operations in the same order as nQ separate calls.
     */
    void addWeightedRowsTile(float[] w, int wo, int wStride, int nQ, float[] rows, int ro, int stride, int nRows,
                             float[] y, int yo, int yStride, int n);

    /** v[o..o+n) ← softmax(v[o..o+n)). */
    void softmax(float[] v, int o, int n);

    /** v[o+i] ← exp(v[o+i] − shift) for i in [0, n); returns their sum (a step of an online softmax). */
    float expShifted(float[] v, int o, int n, float shift);

    /**
     * out[oo + i·outStride + j] = dot(a row i, b row j) for i in [0, na), j in [0, nb): row i of a at ao + i·aStride,
     * row j of b at bo + j·bStride, n values each (attention: a block of query rows against a block of cache rows).
     */
    void dotTile(float[] a, int ao, int aStride, int na, float[] b, int bo, int bStride, int nb, int n,
                 float[] out, int oo, int outStride);

    /** The implementation to use: the Vector API one unless it is unavailable or {@code kiln.kernels=scalar}. */
    static Kernels select() {
        return KernelProvider.INSTANCE;
    }
}
