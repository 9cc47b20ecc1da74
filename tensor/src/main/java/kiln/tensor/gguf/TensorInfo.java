package kiln.tensor.gguf;

import kiln.tensor.GgmlType;

import java.util.Arrays;

/**
 * A tensor as described in a GGUF header.
 *
 * @param name   tensor name
 * @param type   ggml type
 * @param ne     dimensions in ne order (ne[0] = row length), length = n_dims as stored in the file
 * @param offset byte offset relative to the start of the (shard's) data section
 * @param shard  index of the split file that holds the data (0 for single files)
 */
public record TensorInfo(String name, GgmlType type, long[] ne, long offset, int shard) {

    public TensorInfo {
        ne = ne.clone();
    }

    /** Dimensions as stored (n_dims entries). */
    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int nDims() {
        return ne.length;
    }

    /** Dimension i, 1 beyond n_dims. */
    public long dim(int i) {
        return i < ne.length ? ne[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** Number of rows (ne1·ne2·ne3). */
    public long rowCount() {
        long n = 1;
        for (int i = 1; i < ne.length; i++) n *= ne[i];
        return n;
    }

    public long rowSize() {
        return type.rowSize(dim(0));
    }

    public long byteSize() {
        return rowSize() * rowCount();
    }

    public TensorInfo withOffset(long newOffset, int newShard) {
        return new TensorInfo(name, type, ne, newOffset, newShard);
    }

    /** ne rendered like "[7168, 1536]". */
    public String shapeString() {
        return Arrays.toString(ne);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.type == type && Arrays.equals(t.ne, ne)
                && t.offset == offset && t.shard == shard;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " " + shapeString();
    }
}
