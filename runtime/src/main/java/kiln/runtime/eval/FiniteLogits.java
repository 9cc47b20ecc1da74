package kiln.runtime.eval;

import kiln.runtime.kernel.MatmulObserver;
import kiln.runtime.kernel.Weight;
import kiln.runtime.model.Model;
import kiln.tensor.KilnException;

/**
 * The runtime's self-check: logits that are not finite (NaN weights, an overflow) end the command with one line
 * naming the layer where values first went non-finite, exit 1, instead of sampling token 0 or printing blank text.
 * The normal path only scans the logits; the layer is found afterwards by evaluating the same tokens again with a
 * finite check on the input of every matrix product.
 */
public final class FiniteLogits {
    private FiniteLogits() {}

    /** {@link Model#evaluate}, then the check of the logits it wrote. */
    public static void evaluate(Model m, int[] tokens, int off, int n, int pos0, float[] logits, boolean allLogits) {
        m.evaluate(tokens, off, n, pos0, logits, allLogits);
        int count = (allLogits ? n : 1) * m.nVocab();
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new KilnException("the logits at position " + (pos0 + (allLogits ? i / m.nVocab() : n - 1))
                        + " are not finite (NaN or infinity): " + locate(m, tokens, off, n, pos0, allLogits), 1, null);
            }
        }
    }

    /** Evaluates the tokens again (same positions, so the cache cells are rewritten) watching every product's input. */
    static String locate(Model m, int[] tokens, int off, int n, int pos0, boolean allLogits) {
        Watch watch = new Watch();
        m.setMatmulObserver(watch);
        try {
            m.evaluate(tokens, off, n, pos0, new float[(allLogits ? n : 1) * m.nVocab()], allLogits);
        } finally {
            m.setMatmulObserver(null);
        }
        return watch.verdict();
    }

    /** Records the last product whose input was finite and the first whose input was not. */
    private static final class Watch implements MatmulObserver {
        String lastFinite, firstNonFinite;

        @Override
        public void onMatmul(Weight w, float[] x, int xOff, int xStride, int nTok) {
            if (firstNonFinite != null) return;
            for (int t = 0; t < nTok; t++) {
                int o = xOff + t * xStride;
                for (int i = 0; i < w.cols(); i++) {
                    if (!Float.isFinite(x[o + i])) {
                        firstNonFinite = w.name();
                        return;
                    }
                }
            }
            lastFinite = w.name();
        }

        String verdict() {
            if (firstNonFinite == null && lastFinite == null) return "no product could be watched";
            if (firstNonFinite == null) {
                return "values first went non-finite in the last product (" + lastFinite + "), after every input was finite";
            }
            if (lastFinite == null) {
                return "values were already non-finite before layer 0 (the input of " + firstNonFinite + "; token_embd.weight?)";
            }
            String layer = layerOf(lastFinite);
            return "values first went non-finite in " + (layer == null ? "the model" : "layer " + layer) + ", after the product with "
                    + lastFinite + " (its input was finite; the input of " + firstNonFinite + " was not)";
        }
    }

    /** N of a {@code blk.N.…} name, or null. */
    static String layerOf(String name) {
        if (!name.startsWith("blk.")) return null;
        int dot = name.indexOf('.', 4);
        return dot > 4 ? name.substring(4, dot) : null;
    }
}
