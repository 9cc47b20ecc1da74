package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.TensorInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One tool's per-tensor type choice: the processing order of the tensors and, called once per tensor in that order
 * (its counters advance as llama-quantize's do), the type each tensor gets.
 */
public abstract class TypePolicy {
    protected final ModelFacts facts;
    protected final QuantizeOptions opts;
    protected final boolean hasImatrix;
    protected final int ftype;

    protected TypePolicy(ModelFacts facts, QuantizeOptions opts, boolean hasImatrix) {
        this.facts = facts;
        this.opts = opts;
        this.hasImatrix = hasImatrix;
        this.ftype = opts.ftype().value();
    }

    public static TypePolicy create(ModelFacts facts, QuantizeOptions opts, boolean hasImatrix, List<TensorInfo> ordered) {
        return opts.flavor() == Flavor.IK ? new IkTypePolicy(facts, opts, hasImatrix, ordered)
                : new MainlineTypePolicy(facts, opts, hasImatrix, ordered);
    }

    /** The tensors in the order the tool processes and writes them. */
    public static List<TensorInfo> order(List<TensorInfo> fileOrder, Flavor flavor) {
        if (flavor == Flavor.IK) return List.copyOf(fileOrder);
        List<TensorInfo> l = new ArrayList<>(fileOrder);
        l.sort(Comparator.<TensorInfo>comparingInt(t -> layerOf(t.name())).thenComparing((a, b) ->
                java.util.Arrays.compareUnsigned(a.name().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        b.name().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        return l;
    }

    /** The target type of the next tensor (in {@link #order} order). */
    public abstract GgmlType choose(TensorInfo t);

    /** Whether the tool quantizes this tensor at all (else it is copied as it is). */
    public abstract boolean allowsQuantization(TensorInfo t);

    /** sscanf(name, "blk.%d.") or -1. */
    static int layerOf(String name) {
        Integer l = parseLayer(name);
        return l == null ? -1 : l;
    }

    /** sscanf(name, "blk.%d.") == 1 ? the number : null. */
    static Integer parseLayer(String name) {
        if (!name.startsWith("blk.")) return null;
        int i = 4, sign = 1;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) { sign = name.charAt(i) == '-' ? -1 : 1; i++; }
        int start = i;
        long v = 0;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && v < Integer.MAX_VALUE) { v = v * 10 + (name.charAt(i) - '0'); i++; }
        return i == start ? null : (int) (sign * v);
    }

    /** ggml_n_dims: dimensions up to the last one that is not 1. */
    static int nDims(TensorInfo t) {
        long[] ne = t.ne();
        for (int i = ne.length - 1; i >= 1; i--) if (ne[i] > 1) return i + 1;
        return 1;
    }

    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** layer_info: the layer from the name for MoE models, else the running counter. */
    int[] layerInfo(int counter, int n, String name) {
        int nExpert = Math.max(1, facts.nExpert());
        int layer = counter;
        if (nExpert > 1) {
            Integer parsed = parseLayer(name);
            if (parsed == null) throw new KilnException("Failed to determine layer for tensor " + name);
            layer = parsed;
            if (layer < 0 || layer >= n) throw new KilnException("Bad layer " + layer + " for tensor " + name + ". Must be in [0, " + n + ")");
        }
        return new int[]{layer, n};
    }

    static boolean any(int v, int... set) {
        return LlamaFtype.in(v, set);
    }
}
