package kiln.tensor.imatrix;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.LittleEndian;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mainline's GGUF imatrix (spec gguf-and-quants.md §5.2 A): keys {@code general.type = "imatrix"},
 * {@code imatrix.datasets}, {@code imatrix.chunk_count}, {@code imatrix.chunk_size}; per entry, in sorted name
 * order, F32 tensors {@code <name>.in_sum2} (ne = [ne0, nMat], 1-D when nMat = 1) and {@code <name>.counts}
 * (ne = [1, nMat], 1-D when nMat = 1), plus {@code <name>.in_sum} (Σx) when the entry has activations.
 */
final class GgufImatrixFormat {
    private GgufImatrixFormat() {}

    static final String IN_SUM2 = ".in_sum2";
    static final String COUNTS = ".counts";
    static final String IN_SUM = ".in_sum";

    static Imatrix read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            GgufMetadata md = f.metadata();
            if (f.tensors().isEmpty()) throw new KilnException(path + ": the GGUF imatrix has no tensors");
            Map<String, float[]> sums = new LinkedHashMap<>();
            Map<String, float[]> counts = new LinkedHashMap<>();
            Map<String, float[]> acts = new LinkedHashMap<>();
            for (TensorInfo t : f.tensors()) {
                String n = t.name();
                Map<String, float[]> target;
                String base;
                if (n.endsWith(IN_SUM2)) { target = sums; base = n.substring(0, n.length() - IN_SUM2.length()); }
                else if (n.endsWith(COUNTS)) { target = counts; base = n.substring(0, n.length() - COUNTS.length()); }
                else if (n.endsWith(IN_SUM)) { target = acts; base = n.substring(0, n.length() - IN_SUM.length()); }
                else continue;
                if (t.type() != GgmlType.F32) throw new KilnException(path + ": imatrix tensor '" + n + "' has type " + t.type().ggmlName() + ", expected f32");
                target.put(base, floats(f.data(t), t.elementCount()));
            }
            List<ImatrixEntry> entries = new ArrayList<>();
            for (var e : sums.entrySet()) {
                float[] c = counts.get(e.getKey());
                if (c == null) throw new KilnException(path + ": imatrix entry '" + e.getKey() + "' has " + e.getKey() + IN_SUM2 + " but no " + COUNTS);
                if (c.length == 0 || e.getValue().length % c.length != 0) {
                    throw new KilnException(path + ": imatrix entry '" + e.getKey() + "' has " + e.getValue().length + " values for " + c.length + " counts");
                }
                entries.add(new ImatrixEntry(e.getKey(), e.getValue(), c, acts.get(e.getKey())));
            }
            for (String k : counts.keySet()) {
                if (!sums.containsKey(k)) throw new KilnException(path + ": imatrix entry '" + k + "' has " + k + COUNTS + " but no " + IN_SUM2);
            }
            List<String> datasets = new ArrayList<>();
            GgufValue ds = md.get("imatrix.datasets");
            if (ds != null && ds.isArray() && ds.elementType() == GgufValueType.STRING) datasets.addAll(List.of(ds.asStrings()));
            int chunkCount = (int) md.getLong("imatrix.chunk_count", 0);
            int chunkSize = (int) md.getLong("imatrix.chunk_size", 0);
            return Imatrix.of(entries, datasets, chunkCount, chunkSize, false);
        }
    }

    /** Whether the file has the three keys llama-quantize insists on. */
    static boolean hasMetadata(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            GgufMetadata md = f.metadata();
            return md.contains("imatrix.datasets") && md.contains("imatrix.chunk_count") && md.contains("imatrix.chunk_size");
        }
    }

    private static float[] floats(MemorySegment s, long n) {
        if (n > Integer.MAX_VALUE) throw new KilnException("imatrix tensor too large");
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) out[i] = LittleEndian.f32(s, 4L * i);
        return out;
    }

    /** Writes a raw-sums imatrix (see {@link ImatrixConvert#toRaw}) atomically. */
    static void write(Imatrix m, Path target) {
        if (m.legacy()) throw new IllegalArgumentException("convert to raw sums first");
        GgufMetadata md = new GgufMetadata(target.toString());
        md.put("general.type", GgufValue.ofString("imatrix"));
        md.put("imatrix.datasets", GgufValue.ofStrings(m.datasets().toArray(String[]::new)));
        md.put("imatrix.chunk_count", GgufValue.ofU32(m.chunkCount()));
        md.put("imatrix.chunk_size", GgufValue.ofU32(m.chunkSize()));
        List<GgufLayout.Entry> layoutEntries = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        for (ImatrixEntry e : m.sortedEntries()) {
            int nMat = e.nMat();
            layoutEntries.add(new GgufLayout.Entry(e.name() + IN_SUM2, GgmlType.F32, shape(e.ne0(), nMat)));
            data.add(e.sums());
            layoutEntries.add(new GgufLayout.Entry(e.name() + COUNTS, GgmlType.F32, shape(1, nMat)));
            data.add(e.counts());
            if (e.activations() != null) {
                layoutEntries.add(new GgufLayout.Entry(e.name() + IN_SUM, GgmlType.F32, shape(e.ne0(), nMat)));
                data.add(e.activations());
            }
        }
        GgufLayout layout = new GgufLayout(md, layoutEntries);
        try (GgufOutput out = GgufOutput.create(target, layout)) {
            for (int i = 0; i < data.size(); i++) {
                float[] v = data.get(i);
                MemorySegment seg = MemorySegment.ofArray(new byte[4 * v.length]);
                for (int j = 0; j < v.length; j++) LittleEndian.putF32(seg, 4L * j, v[j]);
                out.write(i, seg);
            }
            out.commit();
        }
    }

    /** ggml_n_dims semantics: trailing 1s are not stored. */
    private static long[] shape(long ne0, long nMat) {
        return nMat == 1 ? new long[]{ne0} : new long[]{ne0, nMat};
    }
}
