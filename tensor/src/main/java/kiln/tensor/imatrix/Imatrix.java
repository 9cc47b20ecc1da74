package kiln.tensor.imatrix;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An importance matrix in memory: entries by tensor name (in file order, which matters for ik's legacy files
 * whose order is that of a hash map), the calibration datasets, the chunk count and chunk size.
 *
 * @param legacy    true when the numbers are in the legacy {@code .dat} convention (values = mean·ncall, one
 *                  count = ncall per entry); false for raw sums and row counts (GGUF imatrix)
 * @param chunkSize tokens per chunk; 0 when unknown (a legacy file does not store it)
 */
public record Imatrix(Map<String, ImatrixEntry> entries, List<String> datasets, int chunkCount, int chunkSize, boolean legacy) {

    public Imatrix {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        datasets = List.copyOf(datasets);
    }

    public static Imatrix of(Collection<ImatrixEntry> list, List<String> datasets, int chunkCount, int chunkSize, boolean legacy) {
        Map<String, ImatrixEntry> m = new LinkedHashMap<>();
        for (ImatrixEntry e : list) {
            if (m.put(e.name(), e) != null) throw new IllegalArgumentException("duplicate imatrix entry '" + e.name() + "'");
        }
        return new Imatrix(m, datasets, chunkCount, chunkSize, legacy);
    }

    public ImatrixEntry get(String name) {
        return entries.get(name);
    }

    public int size() {
        return entries.size();
    }

    /** The entries sorted by name (the order mainline writes). */
    public List<ImatrixEntry> sortedEntries() {
        List<ImatrixEntry> l = new ArrayList<>(entries.values());
        l.sort((a, b) -> compareBytes(a.name(), b.name()));
        return l;
    }

    /** The first dataset, or null (what llama-quantize records as {@code quantize.imatrix.dataset}). */
    public String firstDataset() {
        return datasets.isEmpty() ? null : datasets.getFirst();
    }

    /** The same data with entries kept only when {@code keep} says so (order preserved). */
    public Imatrix filter(java.util.function.Predicate<String> keep) {
        Map<String, ImatrixEntry> m = new LinkedHashMap<>();
        for (var e : entries.entrySet()) if (keep.test(e.getKey())) m.put(e.getKey(), e.getValue());
        return new Imatrix(m, datasets, chunkCount, chunkSize, legacy);
    }

    /** std::string / std::map order: unsigned byte-wise comparison of the UTF-8 names. */
    static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }
}
