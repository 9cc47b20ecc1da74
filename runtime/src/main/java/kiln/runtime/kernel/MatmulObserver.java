package kiln.runtime.kernel;

/**
 * Hook for activation statistics (the imatrix collector): called on the evaluating thread before each matrix
 * product with the f32 input rows, as llama-imatrix sees {@code src1}. For expert and per-head products
 * {@link Weight#slice()} is the expert or head index and only the rows routed to it are passed.
 */
@FunctionalInterface
public interface MatmulObserver {
    /** Row t of the input is {@code x[xOff + t*xStride .. + w.cols())}, for t in [0, nTok). */
    void onMatmul(Weight w, float[] x, int xOff, int xStride, int nTok);
}
