package kiln.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Fits DeepSeek's attn_k_b / attn_v_b entries to a model's MLA layout: mainline's 3-D tensors take one vector
 * per head, ik's 2-D tensors one vector for all heads (whose inputs are the same activations pooled). Per-head
 * entries are pooled (sums and counts added, or the per-head means averaged for legacy files, whose heads share
 * one ncall); a pooled entry given to a per-head model is repeated for every head. Every other entry must fit the
 * model as it is.
 */
final class MlaReshape {
    private MlaReshape() {}

    static Imatrix forModel(Imatrix m, ModelTensors model, String source, PrintStream log) {
        List<ImatrixEntry> out = new ArrayList<>();
        for (ImatrixEntry e : m.entries().values()) {
            long want = model.expectedSize(e.name());
            boolean mla = e.name().endsWith(".attn_k_b.weight") || e.name().endsWith(".attn_v_b.weight");
            int h = model.nHead;
            if (mla && want > 0 && h > 1 && e.size() == want * h) {
                out.add(pool(e, h, m.legacy()));
                log.println("kiln imatrix: " + e.name() + ": pooled " + h + " heads for " + model.fileName + "'s 2-D tensor");
            } else if (mla && want > 0 && h > 1 && e.size() * h == want) {
                out.add(repeat(e, h));
                log.println("kiln imatrix: " + e.name() + ": repeated for the " + h + " heads of " + model.fileName + "'s 3-D tensor");
            } else {
                model.check(source, e.name(), e.size());
                out.add(e);
            }
        }
        return new Imatrix(toMap(out), m.datasets(), m.chunkCount(), m.chunkSize(), m.legacy());
    }

    private static ImatrixEntry pool(ImatrixEntry e, int h, boolean legacy) {
        int ne0 = e.size() / h;
        float[] s = new float[ne0];
        for (int k = 0; k < h; k++) for (int j = 0; j < ne0; j++) s[j] += e.sums()[k * ne0 + j];
        float[] c;
        if (legacy) {
            for (int j = 0; j < ne0; j++) s[j] /= h;
            c = new float[]{e.counts()[0]};
        } else {
            float total = 0;
            for (int k = 0; k < h; k++) total += e.counts().length == 1 ? e.counts()[0] : e.counts()[k];
            c = new float[]{total};
        }
        return new ImatrixEntry(e.name(), s, c);
    }

    private static ImatrixEntry repeat(ImatrixEntry e, int h) {
        if (e.nMat() != 1) throw new KilnException("imatrix entry '" + e.name() + "' has " + e.nMat() + " matrices, cannot repeat it per head");
        float[] s = new float[e.size() * h];
        for (int k = 0; k < h; k++) System.arraycopy(e.sums(), 0, s, k * e.size(), e.size());
        return new ImatrixEntry(e.name(), s, e.counts().clone());
    }

    private static java.util.Map<String, ImatrixEntry> toMap(List<ImatrixEntry> l) {
        java.util.Map<String, ImatrixEntry> m = new java.util.LinkedHashMap<>();
        for (ImatrixEntry e : l) m.put(e.name(), e);
        return m;
    }
}
