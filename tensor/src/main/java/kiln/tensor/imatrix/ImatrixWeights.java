package kiln.tensor.imatrix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The importance weights llama-quantize derives from an imatrix: per column and per matrix the mean of x²
 * (spec gguf-and-quants.md §5.3, ik-llama-formats.md §4.4). Both tools compute them identically for what each
 * can read:
 * <ul>
 *   <li>legacy files: {@code value / ncall} in float32 when ncall &gt; 0, else the stored values;</li>
 *   <li>GGUF files (mainline only; ik cannot read them): per matrix j, {@code sum / (float) lround(count_j)},
 *       and all ones for a matrix whose count is 0.</li>
 * </ul>
 * The result has {@code ne0 · n_expert} values; the quantizer gives expert/head {@code i} the slice
 * {@code [i·ne0, (i+1)·ne0)}.
 */
public final class ImatrixWeights {
    private ImatrixWeights() {}

    public static float[] of(Imatrix m, ImatrixEntry e) {
        float[] out = new float[e.size()];
        if (m.legacy()) {
            long ncall = (long) e.counts()[0];
            if (ncall > 0) {
                float d = (float) ncall;
                for (int i = 0; i < out.length; i++) out[i] = e.sums()[i] / d;
            } else {
                System.arraycopy(e.sums(), 0, out, 0, out.length);
            }
            return out;
        }
        int ne0 = e.ne0();
        for (int j = 0; j < e.nMat(); j++) {
            float count = (float) Math.round((double) e.counts()[j]);
            for (int i = 0; i < ne0; i++) {
                out[j * ne0 + i] = count > 0.0f ? e.sums()[j * ne0 + i] / count : 1.0f;
            }
        }
        return out;
    }

    /** Weights of every entry, in the imatrix's order. */
    public static Map<String, float[]> all(Imatrix m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (ImatrixEntry e : m.entries().values()) out.put(e.name(), of(m, e));
        return out;
    }

    /** One expert's slice of a weight vector. */
    public static float[] slice(float[] weights, int index, int ne0) {
        float[] s = new float[ne0];
        System.arraycopy(weights, index * ne0, s, 0, ne0);
        return s;
    }
}
