package kiln.cuda.place;

import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One {@code -ot REGEX=BUFFER} rule, llama.cpp's tensor buffer-type override: the regular expression is searched in
 * the tensor name (C++ {@code std::regex_search}, here {@link java.util.regex.Matcher#find()}), and the first rule
 * that matches decides where the tensor goes.
 */
public record OverrideRule(String pattern, Pattern regex, Target target) {

    public boolean matches(String tensorName) {
        return regex.matcher(tensorName).find();
    }

    /** {@code pattern=BUFFER} as llama-bench records it in {@code override_tensor}. */
    @Override
    public String toString() {
        return pattern + "=" + target.name();
    }

    public static OverrideRule of(String pattern, Target target) {
        try {
            return new OverrideRule(pattern, Pattern.compile(pattern), target);
        } catch (PatternSyntaxException e) {
            throw new KilnException("-ot '" + pattern + "': not a regular expression (" + e.getDescription() + ")");
        }
    }

    /**
     * One {@code -ot} value as llama.cpp reads it: a comma-separated list of {@code REGEX=BUFFER} (split at the first
     * '=', so a regex cannot contain '=' or ','). Rules keep their order.
     */
    public static List<OverrideRule> parseList(String value) {
        List<OverrideRule> out = new ArrayList<>();
        for (String one : value.split(",", -1)) {
            int eq = one.indexOf('=');
            if (eq < 1) throw new KilnException("-ot '" + one + "' is not REGEX=BUFFER (e.g. -ot \"\\.ffn_.*_exps\\.=CPU\")");
            out.add(of(one.substring(0, eq), Target.parse(one.substring(eq + 1), "-ot '" + one + "'")));
        }
        return out;
    }

    /** The target of the first rule matching the name, or null when none does. */
    public static Target firstMatch(List<OverrideRule> rules, String tensorName) {
        for (OverrideRule r : rules) if (r.matches(tensorName)) return r.target();
        return null;
    }

    /** llama.cpp's {@code --cpu-moe}: every routed expert tensor on the CPU. */
    public static OverrideRule allExpertsOnCpu() {
        return of("\\.ffn_(up|down|gate)_exps", Target.CPU);
    }

    /**
     * llama.cpp's {@code --n-cpu-moe N}: the routed experts of layers 0 … N−1 on the CPU, one rule per layer
     * ({@code blk\.i\.ffn_(up|down|gate)_exps=CPU}, mainline's common/arg.cpp).
     */
    public static List<OverrideRule> firstLayersExpertsOnCpu(int n) {
        if (n < 0) throw new KilnException("--n-cpu-moe " + n + " is negative");
        List<OverrideRule> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(of("blk\\." + i + "\\.ffn_(up|down|gate)_exps", Target.CPU));
        return out;
    }
}
