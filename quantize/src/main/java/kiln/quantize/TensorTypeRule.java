package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One {@code REGEX=TYPE} rule: mainline's {@code --tensor-type} (the pattern is lower-cased, the first rule whose
 * pattern is found in the tensor name wins, and the mix is skipped for that tensor) or ik's {@code --custom-q}
 * (the same matching, applied after the mix). The pattern is searched, not matched whole, as {@code std::regex_search}.
 */
public record TensorTypeRule(String pattern, Pattern regex, GgmlType type) {

    /** Parses "REGEX=TYPE"; {@code lowerCase} as mainline's --tensor-type. */
    public static TensorTypeRule parse(String spec, boolean lowerCase) {
        int eq = spec.indexOf('=');
        if (eq <= 0) throw new KilnException("malformed tensor type rule '" + spec + "' (expected REGEX=TYPE)");
        if (eq == spec.length() - 1) throw new KilnException("missing quantization type in tensor type rule '" + spec + "'");
        String pat = spec.substring(0, eq);
        if (lowerCase) pat = pat.toLowerCase(java.util.Locale.ROOT);
        GgmlType t = parseType(spec.substring(eq + 1));
        try {
            return new TensorTypeRule(pat, Pattern.compile(pat), t);
        } catch (PatternSyntaxException e) {
            throw new KilnException("invalid regular expression '" + pat + "' in tensor type rule: " + e.getDescription());
        }
    }

    /** ik's --custom-q value: "REGEX=TYPE,REGEX=TYPE,...". */
    public static List<TensorTypeRule> parseList(String spec) {
        List<TensorTypeRule> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            if (!item.isEmpty()) out.add(parse(item, false));
        }
        return out;
    }

    /** A ggml type name, case-insensitively ("q4_K", "Q8_0"). */
    public static GgmlType parseType(String name) {
        GgmlType t = GgmlType.byName(name.trim());
        if (t == null) throw new KilnException("invalid ggml type '" + name + "' (e.g. q4_K, q6_K, q8_0, iq4_xs, bf16)");
        return t;
    }

    public boolean matches(String tensorName) {
        return regex.matcher(tensorName).find();
    }

    /** The first rule that matches, or null. */
    public static GgmlType firstMatch(List<TensorTypeRule> rules, String tensorName) {
        for (TensorTypeRule r : rules) if (r.matches(tensorName)) return r.type;
        return null;
    }
}
