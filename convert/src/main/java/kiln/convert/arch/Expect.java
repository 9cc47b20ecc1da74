package kiln.convert.arch;

import kiln.tensor.KilnException;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The tensors an architecture expects from its config, with torch shapes; checks a checkpoint against them. */
final class Expect {
    private final String source;
    private final Map<String, long[]> required = new LinkedHashMap<>();
    private final Map<String, long[]> optional = new LinkedHashMap<>();

    Expect(String source) {
        this.source = source;
    }

    void req(String name, long... shape) {
        required.put(name, shape);
    }

    void opt(String name, long... shape) {
        optional.put(name, shape);
    }

    /** Missing, extra (unless {@code ignored} says so) and mis-shaped tensors are one-line errors. */
    void check(Map<String, Input> inputs, java.util.function.Predicate<String> ignored) {
        for (var e : required.entrySet()) {
            if (!inputs.containsKey(e.getKey())) {
                throw new KilnException(source + ": missing tensor '" + e.getKey() + "' (expected shape " + Arrays.toString(e.getValue()) + ")");
            }
        }
        for (var in : inputs.values()) {
            long[] want = required.containsKey(in.hfName()) ? required.get(in.hfName()) : optional.get(in.hfName());
            if (want == null) {
                if (ignored.test(in.hfName())) continue;
                throw new KilnException(source + ": unexpected tensor '" + in.hfName() + "' (not part of this architecture as configured)");
            }
            if (!Arrays.equals(want, in.shape())) {
                throw new KilnException(source + ": tensor '" + in.hfName() + "' has shape " + Arrays.toString(in.shape())
                        + ", expected " + Arrays.toString(want) + " from config.json");
            }
        }
    }

    Set<String> names() {
        return required.keySet();
    }
}
