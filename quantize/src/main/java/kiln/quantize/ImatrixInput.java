package kiln.quantize;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.imatrix.ImatrixFormat;
import kiln.tensor.imatrix.ImatrixWeights;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The importance weights as llama-quantize prepares them: the file read (either format, for either flavour),
 * {@code --include-weights} / {@code --exclude-weights} applied (substring tests, mutually exclusive), non-finite
 * values refused, and per entry the mean of x² per column and matrix ({@link ImatrixWeights}).
 *
 * @param label      the file name recorded in {@code quantize.imatrix.file} (as given on the command line)
 * @param weights    entry name → weights of length ne0·n_matrices
 * @param dataset    the dataset recorded in {@code quantize.imatrix.dataset}, or null
 * @param chunkCount the chunk count recorded in {@code quantize.imatrix.chunks_count}
 */
public record ImatrixInput(String label, Map<String, float[]> weights, String dataset, int chunkCount) {

    public static ImatrixInput load(Path file, String label, List<String> include, List<String> exclude, Flavor flavor) {
        if (!include.isEmpty() && !exclude.isEmpty()) {
            throw new KilnException("--include-weights and --exclude-weights cannot be used together");
        }
        Imatrix m = ImatrixFiles.read(file);
        if (!m.legacy() && flavor == Flavor.MAINLINE && !ImatrixFiles.ggufHasMetadata(file)) {
            throw new KilnException(file + ": missing imatrix metadata (imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size)");
        }
        if (!exclude.isEmpty()) m = m.filter(n -> exclude.stream().noneMatch(n::contains));
        if (!include.isEmpty()) m = m.filter(n -> include.stream().anyMatch(n::contains));
        if (m.size() == 0) return null;
        Map<String, float[]> w = new LinkedHashMap<>(ImatrixWeights.all(m));
        for (var e : w.entrySet()) {
            for (float f : e.getValue()) {
                if (!Float.isFinite(f)) throw new KilnException(file + ": imatrix contains non-finite value " + f + " in entry '" + e.getKey() + "'");
            }
        }
        String dataset = m.legacy() ? (m.datasets().isEmpty() ? null : m.datasets().getLast()) : m.firstDataset();
        return new ImatrixInput(label, w, dataset, m.chunkCount());
    }

    public static ImatrixFormat formatOf(Path file) {
        return ImatrixFiles.detect(file);
    }

    public int entries() {
        return weights.size();
    }

    /** The entry llama-quantize uses for a tensor: mainline by exact name; ik with its fallbacks (fused up/gate, MLA). */
    public float[] lookup(String name, Flavor flavor) {
        float[] w = weights.get(name);
        if (w != null || flavor != Flavor.IK) return w;
        int p1 = name.indexOf("ffn_up_exps.weight"), p2 = name.indexOf("ffn_gate_exps.weight");
        if (p1 >= 0 || p2 >= 0) {
            int pos = p1 >= 0 ? p1 : p2;
            w = weights.get(name.substring(0, pos) + "ffn_gate_up_exps.weight");
            return w != null ? w : weights.get(name.substring(0, pos) + "ffn_up_exps.weight");
        }
        int p = name.indexOf("ffn_gate_up_exps.weight");
        if (p >= 0) return weights.get(name.substring(0, p) + "ffn_up_exps.weight");
        p = name.indexOf("ffn_gate.weight");
        if (p >= 0) return weights.get(name.substring(0, p) + "ffn_up.weight");
        String[] alt = {".attn_v_b.weight", ".attn_kv_b.weight"};
        for (int j = 0; j < alt.length; j++) {
            p = name.indexOf(alt[j]);
            if (p >= 0) return weights.get(name.substring(0, p) + alt[(j + 1) % alt.length]);
        }
        return null;
    }
}
