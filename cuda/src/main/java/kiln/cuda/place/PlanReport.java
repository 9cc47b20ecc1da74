package kiln.cuda.place;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plan as text: the layer assignment, a table of tensor classes per place, and llama.cpp-style buffer sizes. */
public final class PlanReport {
    private PlanReport() {}

    public static List<String> lines(Inventory inv, Plan plan) {
        ModelShape s = inv.shape();
        PlanRequest r = plan.request();
        int places = 1 + r.devices();
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "plan: %s, %d layers, %d tensors, %s; -c %d, -ctk %s%s, -mla %d, -ub %d",
                s.arch(), s.nLayer(), inv.tensors().size(), MemorySize.human(inv.totalBytes()), r.nCtx(), r.typeK().ggmlName(),
                s.hasMla() && r.mla() > 0 ? "" : " -ctv " + r.typeV().ggmlName(), r.mla(), r.nUbatch()));
        out.add(String.format(Locale.ROOT, "plan: offloaded %d/%d layers to GPU%s", plan.offloadedLayers(), s.nLayer() + 1, layerRanges(plan)));
        if (r.rules().size() <= 8) {
            for (OverrideRule rule : r.rules()) {
                long n = plan.placement().keySet().stream().filter(name -> firstRule(r.rules(), name) == rule).count();
                out.add(String.format(Locale.ROOT, "plan: -ot %s: %d tensors", rule, n));
            }
        } else {
            long n = plan.placement().keySet().stream().filter(name -> firstRule(r.rules(), name) != null).count();
            out.add(String.format(Locale.ROOT, "plan: %d -ot rules (with --n-cpu-moe's) place %d tensors", r.rules().size(), n));
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "plan: %-17s", "tensors (MiB)"));
        for (int p = 0; p < places; p++) head.append(String.format(Locale.ROOT, " %20s", placeName(p)));
        out.add(head.toString());
        for (TensorClass c : TensorClass.values()) {
            int count = 0;
            for (int p = 0; p < places; p++) count += plan.classTensors()[c.ordinal()][p];
            if (count == 0) continue;
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "plan:   %-15s", c.label()));
            for (int p = 0; p < places; p++) {
                int n = plan.classTensors()[c.ordinal()][p];
                row.append(n == 0 ? String.format(Locale.ROOT, " %20s", "-")
                        : String.format(Locale.ROOT, " %5d × %12.2f", n, plan.classBytes()[c.ordinal()][p] / 1048576.0));
            }
            out.add(row.toString());
        }
        for (int p = 0; p < places; p++) {
            if (plan.modelBytes()[p] > 0) out.add(String.format(Locale.ROOT, "plan: %10s model buffer size = %10.2f MiB", placeName(p), plan.modelBytes()[p] / 1048576.0));
        }
        long cacheK = s.cacheKBytesPerLayer(r.nCtx(), r.typeK(), r.mla()) * s.nLayer();
        long cacheAll = s.cacheBytesPerLayer(r.nCtx(), r.typeK(), r.typeV(), r.mla()) * s.nLayer();
        for (int p = 0; p < places; p++) {
            if (plan.kvBytes()[p] > 0) out.add(String.format(Locale.ROOT, "plan: %10s KV buffer size = %10.2f MiB", placeName(p), plan.kvBytes()[p] / 1048576.0));
        }
        out.add(s.hasMla() && r.mla() > 0
                ? String.format(Locale.ROOT, "plan: KV self size = %.2f MiB, c^KV (%s): %.2f MiB, kv^T: not used", cacheAll / 1048576.0, r.typeK().ggmlName(), cacheK / 1048576.0)
                : String.format(Locale.ROOT, "plan: KV self size = %.2f MiB, K (%s): %.2f MiB, V (%s): %.2f MiB", cacheAll / 1048576.0,
                r.typeK().ggmlName(), cacheK / 1048576.0, r.typeV().ggmlName(), (cacheAll - cacheK) / 1048576.0));
        for (int d = 0; d < r.devices(); d++) {
            int p = d + 1;
            if (plan.computeBytes()[p] > 0) {
                out.add(String.format(Locale.ROOT, "plan: %10s compute buffer size ≈ %10.2f MiB (estimate, %d MiB of it for the CUDA context)",
                        placeName(p), plan.computeBytes()[p] / 1048576.0, Planner.CONTEXT_RESERVE >> 20));
            }
            out.add(String.format(Locale.ROOT, "plan: %10s needs %s of %s: %s", placeName(p), MemorySize.gib(plan.needed(d)),
                    MemorySize.gib(plan.deviceBytes()[d]), plan.needed(d) <= plan.deviceBytes()[d] ? "fits" : "DOES NOT FIT"));
        }
        out.add(String.format(Locale.ROOT, "plan: %10s needs %s (mapped weights) + %s (cache)", "CPU", MemorySize.human(plan.modelBytes()[0]),
                MemorySize.human(plan.kvBytes()[0])));
        return out;
    }

    /**
     * One line per tensor, as llama.cpp logs overrides ("tensor NAME (SIZE TYPE) buffer type overridden to CUDA0"):
     * name, type, size, place and why (the matching -ot rule, the layer -ngl put it with, or the embeddings rule).
     */
    public static List<String> tensorLines(Inventory inv, Plan plan) {
        List<String> out = new ArrayList<>();
        List<OverrideRule> rules = plan.request().rules();
        int nLayer = inv.shape().nLayer();
        for (var t : inv.tensors()) {
            OverrideRule rule = firstRule(rules, t.name());
            int il = Inventory.layerOf(t.name());
            String why = rule != null ? "-ot " + rule
                    : t.name().startsWith("token_embd.") ? "token embeddings stay on the CPU"
                    : il >= 0 && il < nLayer ? "layer " + il : "output layer";
            out.add(String.format(Locale.ROOT, "tensor %-34s %-8s %10.2f MiB -> %-5s (%s)", t.name(), t.type().ggmlName(), t.byteSize() / 1048576.0,
                    plan.placement().get(t.name()).name(), why));
        }
        return out;
    }

    private static OverrideRule firstRule(List<OverrideRule> rules, String name) {
        for (OverrideRule r : rules) if (r.matches(name)) return r;
        return null;
    }

    static String placeName(int p) {
        return p == 0 ? "CPU" : "CUDA" + (p - 1);
    }

    /** " (CUDA0: layers 0-30, CUDA1: layers 31-60 + output)", or "" when nothing is on a GPU. */
    static String layerRanges(Plan plan) {
        Target[] l = plan.layers();
        int nLayer = l.length - 1;
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < nLayer) {
            if (l[i].isCpu()) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < nLayer && l[j + 1].equals(l[i])) j++;
            String part = l[i].name() + ": layers " + (i == j ? "" + i : i + "-" + j);
            if (j == nLayer - 1 && l[nLayer].equals(l[i])) part += " + output";
            parts.add(part);
            i = j + 1;
        }
        if (!l[nLayer].isCpu() && (nLayer == 0 || !l[nLayer - 1].equals(l[nLayer]))) parts.add(l[nLayer].name() + ": output");
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }
}
