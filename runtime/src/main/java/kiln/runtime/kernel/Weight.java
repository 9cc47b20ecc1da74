package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as the kernels see it: {@code rows} rows of {@code cols} values of one ggml type, stored in a
 * memory segment (a zero-copy slice of the mapped file, or a derived tensor owned by the model).
 * An interleaved type (_R4/_R8…) stores groups of {@code interleave} rows together; its codec dequantizes a whole
 * group at once. {@code plan}: how its products run ({@link MatmulPlan}), resolved once at load by
 * {@link Backend#planned}; null for a weight built without one (a backend then resolves it per product).
 */
public record Weight(String name, GgmlType type, RowCodec codec, MemorySegment data, long rows, int cols, int slice, MatmulPlan plan) {

    /** A whole tensor (slice −1), not yet planned. */
    public Weight(String name, GgmlType type, RowCodec codec, MemorySegment data, long rows, int cols) {
        this(name, type, codec, data, rows, cols, -1, null);
    }

    /** Part {@code slice} of a tensor, not yet planned. */
    public Weight(String name, GgmlType type, RowCodec codec, MemorySegment data, long rows, int cols, int slice) {
        this(name, type, codec, data, rows, cols, slice, null);
    }

    /** This weight carrying {@code plan}. */
    public Weight withPlan(MatmulPlan plan) {
        return new Weight(name, type, codec, data, rows, cols, slice, plan);
    }

    public long rowBytes() {
        return type.rowSize(cols);
    }

    public int interleave() {
        return Math.max(1, type.interleave());
    }

    /**
     * Part {@code index} of a tensor made of equal parts along its rows (expert {@code index} of a 3-D expert
     * tensor, head {@code index} of attn_k_b/attn_v_b); {@link #slice()} tells observers which part it is.
     */
    public Weight part(int index, long rowsPerPart) {
        Weight w = rows(index * rowsPerPart, rowsPerPart);
        return new Weight(name, type, codec, w.data, w.rows, cols, index, plan);
    }

    /** Rows [first, first+count) as a weight of their own. */
    public Weight rows(long first, long count) {
        int il = interleave();
        if (first % il != 0 || count % il != 0) {
            throw new IllegalArgumentException(name + ": row slice " + first + "+" + count + " is not aligned to the interleave " + il);
        }
        return new Weight(name, type, codec, data.asSlice(first * rowBytes(), count * rowBytes()), count, cols, -1, plan);
    }

    /** Dequantizes row {@code r} into {@code dst[off..off+cols)}; {@code group} is scratch of interleave·cols floats. */
    public void dequantizeRow(long r, float[] dst, int off, float[] group) {
        int il = interleave();
        if (il == 1) {
            codec.dequantize(data, r * rowBytes(), dst, off, cols);
        } else {
            long g = r / il;
            codec.dequantize(data, g * il * rowBytes(), group, 0, il * cols);
            System.arraycopy(group, (int) (r % il) * cols, dst, off, cols);
        }
    }

    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " [" + cols + " x " + rows + "]";
    }
}
