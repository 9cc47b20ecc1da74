package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Weight;

/** Final RMSNorm and the output projection, for all tokens of a batch or only the last. */
final class OutputHead {
    private OutputHead() {}

    static void logits(Backend backend, float[] x, float[] xn, int n, int nEmbd, float[] norm, float eps, Weight output,
                       float[] logits, boolean all) {
        int first = all ? 0 : n - 1;
        for (int t = first; t < n; t++) Ops.rmsNorm(x, t * nEmbd, norm, eps, xn, t * nEmbd, nEmbd);
        int vocab = (int) output.rows();
        backend.matmul(output, xn, first * nEmbd, nEmbd, n - first, logits, 0, vocab);
    }
}
