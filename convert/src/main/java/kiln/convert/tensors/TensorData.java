package kiln.convert.tensors;

/**
 * The values of one output tensor, in output (row-major, ne0 fastest) order, produced on demand as f32 so
 * that any range can be converted without holding the tensor: a plain source tensor, a dequantized FP8
 * weight, a stack of experts, a permuted or transposed view.
 */
public interface TensorData {
    /** Number of elements. */
    long elements();

    /** Writes elements [start, start+n) into dst[off..off+n). Thread-safe. */
    void read(long start, int n, float[] dst, int off);
}
