package kiln.imatrix;

/**
 * The statistics of one weight tensor as llama-imatrix keeps them: per matrix (expert or head) and column the
 * float32 sum of squared activations, per matrix the number of activation rows, and the number of evaluated
 * micro-batches that used the tensor ({@code ncall}, ik's count).
 */
final class Accumulator {
    final String name;
    final int ne0, nMat;
    final boolean moe;
    final float[] sums;
    final long[] counts;
    int ncall;
    long lastBatch = -1;

    Accumulator(String name, int ne0, int nMat, boolean moe) {
        this.name = name;
        this.ne0 = ne0;
        this.nMat = nMat;
        this.moe = moe;
        this.sums = new float[ne0 * nMat];
        this.counts = new long[nMat];
    }

    /**
     * Adds nTok rows to matrix {@code mat}; returns false when an activation is not a number. {@code fused}: each
     * square added with one rounding (ik's AVX2 FMA loop); otherwise the square is rounded first (mainline).
     */
    boolean add(int mat, float[] x, int xOff, int xStride, int nTok, boolean fused) {
        int base = mat * ne0;
        boolean ok = true;
        for (int t = 0; t < nTok; t++) {
            int o = xOff + t * xStride;
            if (fused) {
                for (int j = 0; j < ne0; j++) sums[base + j] = Math.fma(x[o + j], x[o + j], sums[base + j]);
            } else {
                for (int j = 0; j < ne0; j++) {
                    float v = x[o + j];
                    sums[base + j] += v * v;
                }
            }
        }
        for (int j = 0; j < ne0; j++) ok &= Float.isFinite(sums[base + j]);
        counts[mat] += nTok;
        return ok;
    }

    boolean allZero() {
        for (long c : counts) if (c != 0) return false;
        return true;
    }
}
