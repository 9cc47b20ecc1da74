package kiln.tensor.imatrix;

import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.List;

/**
 * Conversions between the two conventions, as mainline's llama-imatrix does them when it reads one format with
 * {@code --in-file} and writes the other (spec gguf-and-quants.md §5.2, §5.4).
 */
public final class ImatrixConvert {
    private ImatrixConvert() {}

    /**
     * Legacy values → raw sums: {@code sum = value · chunkSize}, {@code count = ncall · chunkSize} (one count per
     * entry). A legacy file does not record its chunk size; mainline uses its own {@code n_ctx} (default 512).
     */
    public static Imatrix toRaw(Imatrix m, int chunkSize) {
        if (!m.legacy()) return m;
        if (chunkSize <= 0) throw new KilnException("a chunk size is needed to convert a legacy imatrix (got " + chunkSize + ")");
        List<ImatrixEntry> out = new ArrayList<>();
        float cs = chunkSize;
        for (ImatrixEntry e : m.entries().values()) {
            float[] s = new float[e.size()];
            for (int i = 0; i < s.length; i++) s[i] = e.sums()[i] * cs;
            float[] c = e.counts().clone();
            for (int j = 0; j < c.length; j++) c[j] = (float) ((long) c[j] * (long) chunkSize);
            out.add(new ImatrixEntry(e.name(), s, c, null));
        }
        return Imatrix.of(out, m.datasets(), m.chunkCount(), chunkSize, false);
    }

    /**
     * Raw sums → legacy values, exactly as mainline's {@code save_imatrix_legacy}: entries sorted by name, entries
     * whose counts are all zero dropped, {@code ncall = ceil(max(counts) / chunkSize)}, each value
     * {@code (sum / count) · ncall} in float32, a matrix with count 0 stored as {@code 1 · ncall}.
     */
    public static Imatrix toLegacy(Imatrix m) {
        if (m.legacy()) return m;
        int cs = m.chunkSize();
        if (cs <= 0) throw new KilnException("the imatrix has no chunk size; cannot convert it to the legacy format");
        List<ImatrixEntry> out = new ArrayList<>();
        for (ImatrixEntry e : m.sortedEntries()) {
            if (e.allCountsZero()) continue;
            long max = 0;
            for (float c : e.counts()) max = Math.max(max, (long) c);
            int ncall = (int) ((max + (cs - 1)) / cs);
            int nval = e.size();
            int nmat = e.nMat();
            float[] v = new float[nval];
            for (int i = 0; i < nval; i++) {
                float count = (float) (long) e.counts()[i / (nval / nmat)];
                float value = e.sums()[i];
                if (count == 0.0f) {
                    value = 1.0f;
                    count = 1.0f;
                }
                v[i] = (value / count) * (float) ncall;
            }
            out.add(new ImatrixEntry(e.name(), v, new float[]{ncall}, null));
        }
        return Imatrix.of(out, m.datasets(), m.chunkCount(), 0, true);
    }
}
