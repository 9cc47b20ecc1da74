package kiln.validate.compat;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.TensorInfo;
import kiln.validate.ModelView;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/** Which of a file's tensor types a runtime knows; the reference readers reject an unknown type id up front. */
final class TypeSupport {
    private TypeSupport() {}

    /** mainline's GGML_TYPE_COUNT: one past the highest id it knows ("should be in [0, 43)"). */
    static final int MAINLINE_TYPE_COUNT = maxId(GgmlType::knownToMainline) + 1;

    private static int maxId(Predicate<GgmlType> p) {
        int m = 0;
        for (GgmlType t : GgmlType.values()) if (p.test(t)) m = Math.max(m, t.id());
        return m;
    }

    /** First tensor (file order) whose type fails {@code known}, or null. */
    static TensorInfo firstUnknown(ModelView m, Predicate<GgmlType> known) {
        for (TensorInfo t : m.tensors()) if (!known.test(t.type())) return t;
        return null;
    }

    /** "q8_0_r8 (28 tensors), iq5_k (4 tensors)" for the types failing {@code known}. */
    static String unknownTypes(ModelView m, Predicate<GgmlType> known) {
        Map<GgmlType, Integer> n = new LinkedHashMap<>();
        for (TensorInfo t : m.tensors()) if (!known.test(t.type())) n.merge(t.type(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        for (var e : n.entrySet()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(e.getKey().ggmlName()).append(" (").append(e.getValue()).append(e.getValue() == 1 ? " tensor)" : " tensors)");
        }
        return sb.toString();
    }

    static boolean anyInterleaved(ModelView m, Predicate<GgmlType> known) {
        for (TensorInfo t : m.tensors()) if (!known.test(t.type()) && t.type().isInterleaved()) return true;
        return false;
    }

    /** mainline's gguf reader refusal, with what to do about it. */
    static String mainlineRefusal(ModelView m) {
        TensorInfo t = firstUnknown(m, GgmlType::knownToMainline);
        if (t == null) return null;
        int id = t.type().id();
        String msg = id >= MAINLINE_TYPE_COUNT
                ? "tensor '" + t.name() + "' has invalid ggml type " + id + ". should be in [0, " + MAINLINE_TYPE_COUNT + ")"
                : "tensor '" + t.name() + "' has ggml type " + id + " (" + t.type().ggmlName() + "), which llama.cpp no longer supports";
        String types = unknownTypes(m, GgmlType::knownToMainline);
        String fix = anyInterleaved(m, GgmlType::knownToMainline)
                ? "; `kiln repack --undo` turns the interleaved tensors back into their base types"
                : "; requantize those tensors to a type llama.cpp knows";
        return msg + " (ik_llama.cpp-only types: " + types + ")" + fix;
    }

    static String ikRefusal(ModelView m) {
        TensorInfo t = firstUnknown(m, GgmlType::knownToIk);
        if (t == null) return null;
        return "tensor '" + t.name() + "' has ggml type " + t.type().id() + " (" + t.type().ggmlName()
                + "), which ik_llama.cpp does not know (llama.cpp-only types: " + unknownTypes(m, GgmlType::knownToIk) + ")";
    }
}
