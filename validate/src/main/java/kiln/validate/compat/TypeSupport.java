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

    /**
     * What makes the file load in llama.cpp: {@code kiln repack --undo} for interleaved tensors whose base type llama.cpp
     * knows; requantizing for the rest (ik's own types, IQ1_S_R4/IQ1_M_R4 which are not repacks, and interleaved forms
     * of ik-only types, whose base llama.cpp does not know either), named.
     */
    static String mainlineFix(ModelView m) {
        java.util.Set<GgmlType> requantize = new java.util.TreeSet<>(java.util.Comparator.comparing(GgmlType::ggmlName));
        boolean undoable = false;
        for (TensorInfo t : m.tensors()) {
            GgmlType ty = t.type();
            if (ty.knownToMainline()) continue;
            if (ty.isInterleaved() && ty.base() != null && ty.base().knownToMainline()) undoable = true;
            else requantize.add(ty);
        }
        StringBuilder names = new StringBuilder();
        for (GgmlType t : requantize) names.append(names.isEmpty() ? "" : ", ").append(t.ggmlName());
        if (requantize.isEmpty()) return "; `kiln repack --undo` turns the interleaved tensors back into their base types";
        if (!undoable) return "; requantize those tensors to a type llama.cpp knows";
        return "; `kiln repack --undo` turns the interleaved tensors back into their base types, and the " + names
                + " tensors need requantizing to a type llama.cpp knows";
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
        return msg + " (ik_llama.cpp-only types: " + types + ")" + mainlineFix(m);
    }

    static String ikRefusal(ModelView m) {
        TensorInfo t = firstUnknown(m, GgmlType::knownToIk);
        if (t == null) return null;
        return "tensor '" + t.name() + "' has ggml type " + t.type().id() + " (" + t.type().ggmlName()
                + "), which ik_llama.cpp does not know (llama.cpp-only types: " + unknownTypes(m, GgmlType::knownToIk) + ")";
    }
}
