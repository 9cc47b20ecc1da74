package kiln.tensor.imatrix;

import java.util.Arrays;

/**
 * One importance-matrix entry: the statistics of the activations that met one weight tensor.
 *
 * <p>{@code sums} holds {@code nMat} consecutive slices of {@code ne0} per-column values (expert-major, as ggml
 * stores 3-D weights); {@code counts} holds one count per slice. What the numbers mean depends on the file the
 * entry came from (see {@link Imatrix#legacy()}): for a GGUF imatrix they are the raw Σx² and the number of rows
 * accumulated; for a legacy {@code .dat} file they are the stored values (mean of x² times {@code ncall}) and
 * {@code ncall}, one count for the whole entry. Either way {@code sums[j·ne0+i] / counts[j]} is the mean the
 * quantizer uses. {@code activations} (Σx, newer mainline files) is kept when present, else null.
 */
public record ImatrixEntry(String name, float[] sums, float[] counts, float[] activations) {

    public ImatrixEntry {
        if (counts.length == 0) throw new IllegalArgumentException("imatrix entry '" + name + "' has no counts");
        if (sums.length == 0 || sums.length % counts.length != 0) {
            throw new IllegalArgumentException("imatrix entry '" + name + "' has " + sums.length + " values, not a multiple of its "
                    + counts.length + " counts");
        }
        if (activations != null && activations.length != sums.length) {
            throw new IllegalArgumentException("imatrix entry '" + name + "' has " + activations.length + " activation sums for "
                    + sums.length + " values");
        }
    }

    public ImatrixEntry(String name, float[] sums, float[] counts) {
        this(name, sums, counts, null);
    }

    /** Number of matrices (experts or heads with their own counts). */
    public int nMat() {
        return counts.length;
    }

    /** Values per matrix. */
    public int ne0() {
        return sums.length / counts.length;
    }

    /** Total number of values (ne0 · nMat). */
    public int size() {
        return sums.length;
    }

    /** The largest count. */
    public float maxCount() {
        float m = counts[0];
        for (float c : counts) m = Math.max(m, c);
        return m;
    }

    public boolean allCountsZero() {
        for (float c : counts) if (c != 0f) return false;
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImatrixEntry e && e.name.equals(name) && Arrays.equals(e.sums, sums) && Arrays.equals(e.counts, counts)
                && Arrays.equals(e.activations, activations);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(sums);
    }

    @Override
    public String toString() {
        return name + " [" + ne0() + " x " + nMat() + "]";
    }
}
