package kiln.tensor.imatrix;

import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Merging several imatrix files into one ({@code --in-file} of llama-imatrix). */
public final class ImatrixMerge {
    private ImatrixMerge() {}

    /**
     * Mainline's merge (spec gguf-and-quants.md §5.4): every input is brought to raw sums (legacy inputs with
     * {@code chunkSize}), values and counts are added per entry, a single count is broadcast to the experts of an
     * entry that has several; sizes must agree. Datasets are concatenated; the chunk count is
     * {@code max(counts) / chunkSize}.
     */
    public static Imatrix raw(List<Imatrix> inputs, int chunkSize) {
        if (chunkSize <= 0) throw new KilnException("merging needs a positive chunk size, got " + chunkSize);
        Map<String, float[]> sums = new LinkedHashMap<>();
        Map<String, float[]> counts = new LinkedHashMap<>();
        List<String> datasets = new ArrayList<>();
        for (Imatrix in : inputs) {
            Imatrix r = ImatrixConvert.toRaw(in, chunkSize);
            datasets.addAll(r.datasets());
            for (ImatrixEntry e : r.entries().values()) {
                float[] s = sums.get(e.name());
                if (s == null) {
                    sums.put(e.name(), e.sums().clone());
                    counts.put(e.name(), e.counts().clone());
                    continue;
                }
                if (s.length != e.size()) {
                    throw new KilnException("imatrix entry '" + e.name() + "' has " + e.size() + " values in one input and " + s.length + " in another");
                }
                for (int i = 0; i < s.length; i++) s[i] += e.sums()[i];
                float[] c = counts.get(e.name());
                float[] add = e.counts();
                if (c.length == 1 && add.length > 1) { c = broadcast(c[0], add.length); counts.put(e.name(), c); }
                if (add.length == 1 && c.length > 1) add = broadcast(add[0], c.length);
                if (c.length != add.length) {
                    throw new KilnException("imatrix entry '" + e.name() + "' has " + add.length + " counts in one input and " + c.length + " in another");
                }
                for (int j = 0; j < c.length; j++) c[j] += add[j];
            }
        }
        List<ImatrixEntry> out = new ArrayList<>();
        long maxCount = 0;
        for (var e : sums.entrySet()) {
            float[] c = counts.get(e.getKey());
            for (float x : c) maxCount = Math.max(maxCount, (long) x);
            out.add(new ImatrixEntry(e.getKey(), e.getValue(), c));
        }
        return Imatrix.of(out, datasets, (int) (maxCount / chunkSize), chunkSize, false);
    }

    /**
     * ik_llama.cpp's merge of legacy files (spec ik-llama-formats.md §4.2): stored values are added and ncall is
     * added; the chunk counts are added. Raw inputs are first converted to the legacy convention.
     */
    public static Imatrix legacy(List<Imatrix> inputs) {
        Map<String, float[]> vals = new LinkedHashMap<>();
        Map<String, Long> ncall = new LinkedHashMap<>();
        List<String> datasets = new ArrayList<>();
        int chunks = 0;
        for (Imatrix in : inputs) {
            Imatrix l = ImatrixConvert.toLegacy(in);
            datasets.addAll(l.datasets());
            chunks += l.chunkCount();
            for (ImatrixEntry e : l.entries().values()) {
                float[] v = vals.get(e.name());
                if (v == null) {
                    vals.put(e.name(), e.sums().clone());
                    ncall.put(e.name(), (long) e.counts()[0]);
                    continue;
                }
                if (v.length != e.size()) {
                    throw new KilnException("imatrix entry '" + e.name() + "' has " + e.size() + " values in one input and " + v.length + " in another");
                }
                for (int i = 0; i < v.length; i++) v[i] += e.sums()[i];
                ncall.merge(e.name(), (long) e.counts()[0], Long::sum);
            }
        }
        List<ImatrixEntry> out = new ArrayList<>();
        for (var e : vals.entrySet()) out.add(new ImatrixEntry(e.getKey(), e.getValue(), new float[]{ncall.get(e.getKey())}));
        return Imatrix.of(out, datasets, chunks, 0, true);
    }

    private static float[] broadcast(float v, int n) {
        float[] c = new float[n];
        java.util.Arrays.fill(c, v);
        return c;
    }
}
