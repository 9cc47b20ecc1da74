package kiln.cuda.place;

import kiln.tensor.gguf.TensorInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Places a model's tensors and caches on the CPU and the CUDA devices as llama.cpp would for the same options, and
 * adds up the memory each device needs.
 *
 * <p>Rules, in llama.cpp's order: a tensor goes where the first matching {@code -ot} rule says; otherwise where its
 * layer is ({@link LayerSplit}); the token embeddings stay on the CPU; a model without {@code output.weight} gets a
 * copy of the embeddings on the output head's device. A layer's cache lives with its layer, whatever the rules say
 * about its weights. GPU work buffers are an estimate ({@link #computeBytes}), not a measurement.
 */
public final class Planner {
    private Planner() {}

    /** Room kept on every GPU that holds anything, for the CUDA context and the driver (an estimate, stated as such). */
    public static final long CONTEXT_RESERVE = 512L << 20;

    public static Plan plan(Inventory inv, PlanRequest req) {
        ModelShape s = inv.shape();
        int places = 1 + req.devices();
        Target[] layers = LayerSplit.assign(s.nLayer(), req.nGpuLayers(), req.deviceBytes());
        int nClass = TensorClass.values().length;
        long[][] classBytes = new long[nClass][places];
        int[][] classTensors = new int[nClass][places];
        long[] model = new long[places], kv = new long[places], compute = new long[places];
        Map<String, Target> placement = new LinkedHashMap<>();
        boolean tiedOutput = inv.tensors().stream().noneMatch(t -> t.name().equals("output.weight"));
        Target outputDevice = layers[s.nLayer()];
        for (TensorInfo t : inv.tensors()) {
            Target where = targetOf(t.name(), layers, s.nLayer(), req.rules());
            placement.put(t.name(), where);
            TensorClass c = TensorClass.of(t.name());
            add(classBytes, classTensors, model, c, where, t.byteSize());
            if (tiedOutput && c == TensorClass.EMBEDDINGS && !outputDevice.isCpu()) {
                add(classBytes, classTensors, model, TensorClass.OUTPUT, outputDevice, t.byteSize()); // llama.cpp's TENSOR_DUPLICATED
            }
        }
        long perLayer = s.cacheBytesPerLayer(req.nCtx(), req.typeK(), req.typeV(), req.mla());
        for (int il = 0; il < s.nLayer(); il++) kv[Plan.place(layers[il])] += perLayer;
        for (int d = 0; d < req.devices(); d++) {
            int p = d + 1;
            if (model[p] + kv[p] == 0) continue;
            compute[p] = computeBytes(s, req, Target.cuda(d).equals(outputDevice) || hasOutputOn(placement, d));
        }
        return new Plan(req, placement, layers, classBytes, classTensors, model, kv, compute, req.deviceBytes());
    }

    private static boolean hasOutputOn(Map<String, Target> placement, int d) {
        Target t = placement.get("output.weight");
        return t != null && t.equals(Target.cuda(d));
    }

    private static void add(long[][] bytes, int[][] counts, long[] model, TensorClass c, Target where, long n) {
        int p = Plan.place(where);
        bytes[c.ordinal()][p] += n;
        counts[c.ordinal()][p]++;
        model[p] += n;
    }

    static Target targetOf(String name, Target[] layers, int nLayer, List<OverrideRule> rules) {
        Target ruled = OverrideRule.firstMatch(rules, name);
        if (ruled != null) return ruled;
        if (name.startsWith("token_embd.")) return Target.CPU;
        int il = Inventory.layerOf(name);
        return il >= 0 && il < nLayer ? layers[il] : layers[nLayer];
    }

    /**
     * Estimated GPU work buffers of one device: f32 activations of a micro-batch (residual, norms, Q/K/V, the widest
     * FFN: 6 × n_embd + 3 × ffn width values per token), one tile of attention scores (heads × 256 cache rows per
     * token), the logits when the output head is there, and {@link #CONTEXT_RESERVE}.
     */
    static long computeBytes(ModelShape s, PlanRequest req, boolean output) {
        long ub = req.nUbatch();
        long act = ub * 4 * (6 * s.nEmbd() + 3 * s.ffnWidth());
        long attn = ub * 4 * s.nHead() * Math.min(req.nCtx(), 256);
        long logits = output ? ub * 4 * s.nVocab() : 0;
        return act + attn + logits + CONTEXT_RESERVE;
    }

    /** The routed-expert rule suggested when the experts do not fit ({@code -ot exps=CPU} as users write it). */
    public static final String EXPERTS_ON_CPU = "\\.ffn_.*_exps\\.=CPU";

    /**
     * What would fit instead of a plan that does not: the most layers (-ngl) below the asked number, the experts on
     * the CPU (when the rules do not put them there already and the model has any), the largest power-of-two context
     * from 512 up that is smaller than the one asked. Each as the option a user types.
     */
    public static List<String> whatWouldFit(Inventory inv, PlanRequest req) {
        List<String> out = new ArrayList<>();
        int asked = Math.min(req.nGpuLayers(), inv.shape().nLayer() + 1);
        for (int n = asked - 1; n >= 1; n--) {
            if (plan(inv, req.withGpuLayers(n)).fits()) {
                out.add("-ngl " + n);
                break;
            }
        }
        boolean hasExperts = inv.tensors().stream().anyMatch(t -> TensorClass.of(t.name()) == TensorClass.ROUTED_EXPERTS);
        if (hasExperts) {
            Plan current = plan(inv, req);
            boolean expertsOnGpu = current.placement().entrySet().stream()
                    .anyMatch(e -> !e.getValue().isCpu() && TensorClass.of(e.getKey()) == TensorClass.ROUTED_EXPERTS);
            if (expertsOnGpu) {
                List<OverrideRule> rules = new ArrayList<>(req.rules());
                rules.addAll(OverrideRule.parseList(EXPERTS_ON_CPU));
                if (plan(inv, req.withRules(rules)).fits()) out.add("-ot \"" + EXPERTS_ON_CPU + "\"");
            }
        }
        for (long c = Long.highestOneBit(Math.max(1, req.nCtx() - 1)); c >= 512; c /= 2) {
            if (c < req.nCtx() && plan(inv, req.withCtx(c)).fits()) {
                out.add("-c " + c);
                break;
            }
        }
        return out;
    }

    /** The one line of a plan that does not fit: which device, how much it needs and has, and what would fit. */
    public static String refusal(Inventory inv, Plan plan) {
        int d = plan.overflowingDevice();
        List<String> fit = whatWouldFit(inv, plan.request());
        return "the plan does not fit: CUDA" + d + " needs " + MemorySize.gib(plan.needed(d)) + " of its " + MemorySize.gib(plan.deviceBytes()[d])
                + " (weights " + MemorySize.gib(plan.modelBytes()[d + 1]) + ", cache " + MemorySize.gib(plan.kvBytes()[d + 1])
                + ", work buffers ≈ " + MemorySize.gib(plan.computeBytes()[d + 1]) + "); "
                + (fit.isEmpty() ? "nothing smaller fits but -ngl 0 (everything on the CPU)" : "would fit: " + String.join(", or ", fit));
    }
}
