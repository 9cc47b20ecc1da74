package kiln.runtime.kernel;

/** Plain Java reference kernels: dequantize each row through its codec, then a sequential dot product. */
public final class ScalarKernels implements Kernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmulRows(Weight w, long r0, long r1, float[] x, int xOff, int xStride, int nTok,
                           float[] out, int outOff, int outStride, float[] rowBuf, float[] group) {
        int cols = w.cols();
        if (w.interleave() > 1) {
            matmulInterleaved(w, r0, r1, x, xOff, xStride, nTok, out, outOff, outStride, group);
            return;
        }
        for (long r = r0; r < r1; r++) {
            w.dequantizeRow(r, rowBuf, 0, group);
            for (int t = 0; t < nTok; t++) {
                out[outOff + t * outStride + (int) r] = dot(rowBuf, 0, x, xOff + t * xStride, cols);
            }
        }
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    @Override
    public void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    @Override
    public void addWeightedRows(float[] w, int wo, float[] rows, int ro, int stride, int nRows, float[] y, int yo, int n) {
        for (int r = 0; r < nRows; r++) axpy(w[wo + r], rows, ro + r * stride, y, yo, n);
    }

    @Override
    public void addWeightedRowsTile(float[] w, int wo, int wStride, int nQ, float[] rows, int ro, int stride, int nRows,
                                    float[] y, int yo, int yStride, int n) {
        for (int q = 0; q < nQ; q++) addWeightedRows(w, wo + q * wStride, rows, ro, stride, nRows, y, yo + q * yStride, n);
    }

    @Override
    public void softmax(float[] v, int o, int n) {
        softmaxInPlace(v, o, n);
    }

    @Override
    public float expShifted(float[] v, int o, int n, float shift) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(v[o + i] - shift);
            v[o + i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void dotTile(float[] a, int ao, int aStride, int na, float[] b, int bo, int bStride, int nb, int n,
                        float[] out, int oo, int outStride) {
        for (int i = 0; i < na; i++) {
            for (int j = 0; j < nb; j++) out[oo + i * outStride + j] = dot(a, ao + i * aStride, b, bo + j * bStride, n);
        }
    }

    /** The scalar softmax (max-subtracted, Math.exp, sum in double): the oracle, and the router's. */
    public static void softmaxInPlace(float[] v, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, v[o + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(v[o + i] - max);
            v[o + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) v[o + i] *= inv;
    }
}
