package kiln.cuda.place;

import kiln.tensor.GgmlType;

import java.util.List;

/**
 * What a plan is made for: {@code -ngl}, the {@code -ot} rules (with {@code --n-cpu-moe} expanded), the context, the
 * cache types, the MLA mode, the micro-batch and the free bytes of each CUDA device (CUDA0, CUDA1, …).
 */
public record PlanRequest(int nGpuLayers, List<OverrideRule> rules, long nCtx, GgmlType typeK, GgmlType typeV, int mla, int nUbatch,
                          long[] deviceBytes) {
    public PlanRequest {
        rules = List.copyOf(rules);
        deviceBytes = deviceBytes.clone();
    }

    public PlanRequest withGpuLayers(int n) {
        return new PlanRequest(n, rules, nCtx, typeK, typeV, mla, nUbatch, deviceBytes);
    }

    public PlanRequest withRules(List<OverrideRule> r) {
        return new PlanRequest(nGpuLayers, r, nCtx, typeK, typeV, mla, nUbatch, deviceBytes);
    }

    public PlanRequest withCtx(long c) {
        return new PlanRequest(nGpuLayers, rules, c, typeK, typeV, mla, nUbatch, deviceBytes);
    }

    public int devices() {
        return deviceBytes.length;
    }
}
