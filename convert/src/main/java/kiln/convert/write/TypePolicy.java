package kiln.convert.write;

import kiln.convert.arch.Mapped;
import kiln.tensor.GgmlType;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference converters' prepare_tensors: squeeze the shape, reverse it to ne order, keep F32 for 1-D tensors,
 * norms, non-".weight" tensors and the router, use the out type elsewhere (Q8_0 falls back to F16 when a row is
 * not a multiple of 32).
 */
public final class TypePolicy {
    private TypePolicy() {}

    public static PlannedTensor plan(Mapped m, OutType out) {
        List<Long> dims = new ArrayList<>();
        for (long d : m.shape()) if (d != 1) dims.add(d);
        if (dims.isEmpty()) dims.add(1L);
        long[] ne = new long[dims.size()];
        for (int i = 0; i < ne.length; i++) ne[i] = dims.get(dims.size() - 1 - i);
        GgmlType t = out.type;
        if (ne.length <= 1 || m.name().endsWith("_norm.weight") || !m.hfName().endsWith(".weight") || isRouter(m.name())) {
            t = GgmlType.F32;
        } else if (t == GgmlType.Q8_0 && ne[0] % 32 != 0) {
            t = GgmlType.F16;
        }
        return new PlannedTensor(m.name(), t, ne, m.data());
    }

    private static boolean isRouter(String name) {
        return name.matches("blk\\.\\d+\\.ffn_gate_inp(_shexp)?\\.weight") || name.equals("position_embd.weight")
                || name.equals("token_types.weight");
    }
}
