package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * What a quantization will write, decided before any byte is produced: the tensors in the tool's order, each with
 * its target type and importance weights, the output metadata, and the file layout. Every check llama-quantize
 * makes (imatrix required, imatrix of the wrong size, requantizing) is made here, naming the tensor.
 */
public record QuantizePlan(List<Item> items, GgufMetadata metadata, GgufLayout layout, QuantizeOptions options) {

    /**
     * @param input   the input tensor
     * @param target  its type in the output
     * @param weights importance weights (ne0 · ne2 values) or null
     */
    public record Item(TensorInfo input, GgmlType target, float[] weights) {
        public boolean converts() {
            return target != input.type();
        }
    }

    public static QuantizePlan build(GgufMetadata inputMetadata, List<TensorInfo> fileOrder, QuantizeOptions opts,
                                     ImatrixInput imatrix, boolean hideImatrix) {
        return build(inputMetadata, fileOrder, opts, imatrix, hideImatrix, List.of());
    }

    /** As {@link #build(GgufMetadata, List, QuantizeOptions, ImatrixInput, boolean)}, with {@code --override-kv} entries. */
    public static QuantizePlan build(GgufMetadata inputMetadata, List<TensorInfo> fileOrder, QuantizeOptions opts,
                                     ImatrixInput imatrix, boolean hideImatrix, List<KvOverride> overrides) {
        Flavor flavor = opts.flavor();
        if (imatrix == null && needsImatrix(opts)) {
            throw new KilnException("Please do not use IQ1_S, IQ1_M, IQ2_S, IQ2_XXS, IQ2_XS or Q2_K_S quantization without an importance matrix"
                    + " (" + opts.ftype().name() + " needs --imatrix FILE)");
        }
        ModelFacts facts = ModelFacts.of(inputMetadata, fileOrder);
        List<TensorInfo> ordered = TypePolicy.order(fileOrder, flavor);
        TypePolicy policy = TypePolicy.create(facts, opts, imatrix != null, ordered);
        int ftype = opts.ftype().isCopy() ? inputFileType(inputMetadata, fileOrder) : opts.ftype().value();
        List<GgmlType> targets = new ArrayList<>();
        for (TensorInfo t : ordered) {
            GgmlType target = policy.choose(t);
            if (imatrix == null && flavor == Flavor.MAINLINE && policy.allowsQuantization(t) && requiresImatrix(t.name(), target, ftype, flavor)) {
                throw new KilnException("this quantization requires an imatrix! (tensor " + t.name() + ", target type "
                        + target.ggmlName() + "; pass --imatrix FILE)");
            }
            targets.add(target);
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            TensorInfo t = ordered.get(i);
            GgmlType target = targets.get(i);
            float[] w = null;
            if (target != t.type()) {
                if (imatrix != null) w = weightsFor(t, imatrix, flavor);
                if (w == null && !opts.ik().ignoreImatrixRules() && requiresImatrix(t.name(), target, ftype, flavor)) {
                    throw new KilnException("Missing importance matrix for tensor " + t.name() + " in a very low-bit quantization ("
                            + (imatrix == null ? "pass --imatrix FILE" : "the imatrix has no entry for it; use one that covers it")
                            + ", or give it another type with --tensor-type or --custom-q)");
                }
                if (t.type().isQuantized() && !opts.allowRequantize()) {
                    throw new KilnException("requantizing from type " + t.type().ggmlName() + " is disabled (tensor " + t.name()
                            + "; pass --allow-requantize)");
                }
                if (t.dim(0) % target.blockSize() != 0) {
                    throw new KilnException("tensor " + t.name() + " has " + t.dim(0) + " columns, not a multiple of " + target.ggmlName()
                            + "'s block size " + target.blockSize());
                }
            }
            items.add(new Item(t, target, w));
        }
        GgufMetadata md = QuantizeMetadata.build(inputMetadata, flavor, ftype, imatrix, hideImatrix, overrides);
        List<GgufLayout.Entry> entries = new ArrayList<>();
        for (Item it : items) entries.add(new GgufLayout.Entry(it.input().name(), it.target(), it.input().ne()));
        return new QuantizePlan(items, md, new GgufLayout(md, entries), opts);
    }

    /** The mixes whose driver refuses to start without an imatrix (ik: its _R4 forms too, unless --ignore-imatrix-rules). */
    private static boolean needsImatrix(QuantizeOptions opts) {
        int f = opts.ftype().value();
        if (opts.flavor() == Flavor.MAINLINE) {
            return LlamaFtype.in(f, LlamaFtype.IQ2_XS, LlamaFtype.IQ2_XXS, LlamaFtype.IQ2_S, LlamaFtype.Q2_K_S, LlamaFtype.IQ1_S, LlamaFtype.IQ1_M);
        }
        return !opts.ik().ignoreImatrixRules() && LlamaFtype.in(f, LlamaFtype.IQ2_XS, LlamaFtype.IQ2_XXS, LlamaFtype.IQ2_S,
                LlamaFtype.IQ2_XXS_R4, LlamaFtype.Q2_K_S, LlamaFtype.IQ2_XS_R4, LlamaFtype.IQ1_S, LlamaFtype.IQ1_S_R4,
                LlamaFtype.IQ1_M_R4, LlamaFtype.IQ1_M);
    }

    /** ik's COPY writes the model loader's ftype: the input's general.file_type, else guessed from its tensor types. */
    private static int inputFileType(GgufMetadata md, List<TensorInfo> fileOrder) {
        if (md.get(QuantizeMetadata.FT) == null) return IkGuessedFtype.of(fileOrder);
        return (int) md.getLong(QuantizeMetadata.FT, 0);
    }

    private static float[] weightsFor(TensorInfo t, ImatrixInput imatrix, Flavor flavor) {
        float[] w = imatrix.lookup(t.name(), flavor);
        if (w == null) return null;
        long expected = t.dim(0) * t.dim(2);
        if (w.length != expected) {
            boolean embd = flavor == Flavor.IK ? t.name().equals("token_embd.weight")
                    : t.name().equals("token_embd.weight") || t.name().equals("per_layer_token_embd.weight");
            if (!embd) {
                throw new KilnException("imatrix size " + w.length + " is different from tensor size " + expected + " for " + t.name()
                        + " (is the imatrix from another model?)");
            }
            return null;
        }
        return w;
    }

    /** tensor_requires_imatrix (mainline) / ik's very-low-bit rule. */
    static boolean requiresImatrix(String name, GgmlType type, int ftype, Flavor flavor) {
        if (name.equals("token_embd.weight") || name.equals("output.weight")) return false;
        if (flavor == Flavor.MAINLINE && name.equals("per_layer_token_embd.weight")) return false;
        return switch (type) {
            case IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            case IQ3_XXS -> flavor == Flavor.MAINLINE;
            case IQ2_XXS_R4, IQ2_XS_R4, IQ2_S_R4, IQ1_S_R4, IQ1_M_R4, IQ1_KT, IQ2_KT -> flavor == Flavor.IK;
            case Q2_K -> ftype == LlamaFtype.Q2_K_S;
            default -> false;
        };
    }

    /** Counts of target types, for reports ("q4_K:26, f32:17"). */
    public java.util.Map<GgmlType, Integer> typeCounts() {
        java.util.Map<GgmlType, Integer> m = new java.util.LinkedHashMap<>();
        for (Item it : items) m.merge(it.target(), 1, Integer::sum);
        return m;
    }
}
