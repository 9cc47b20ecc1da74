package kiln.quantize;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufValue;

import java.util.Locale;

/**
 * One {@code --override-kv KEY=TYPE:VALUE} (TYPE int, float, bool or str), written into the output's metadata as
 * llama-quantize does: ints as u32 of |value| in mainline, as i32 in ik; floats as f32.
 */
public record KvOverride(String key, String type, String value) {

    public static KvOverride parse(String spec) {
        int eq = spec.indexOf('=');
        int colon = eq < 0 ? -1 : spec.indexOf(':', eq);
        if (eq <= 0 || colon < 0) throw new KilnException("malformed --override-kv '" + spec + "' (expected KEY=int:V, float:V, bool:V or str:V)");
        String key = spec.substring(0, eq);
        if (key.length() >= 128) throw new KilnException("--override-kv key too long: " + key);
        String type = spec.substring(eq + 1, colon).toLowerCase(Locale.ROOT);
        String value = spec.substring(colon + 1);
        KvOverride o = new KvOverride(key, type, value);
        o.toValue(Flavor.MAINLINE);
        return o;
    }

    public GgufValue toValue(Flavor flavor) {
        try {
            return switch (type) {
                case "int" -> {
                    long v = Long.parseLong(value.trim());
                    yield flavor == Flavor.IK ? GgufValue.ofI32((int) v) : GgufValue.ofU32((int) Math.abs(v));
                }
                case "float" -> GgufValue.ofF32((float) Double.parseDouble(value.trim()));
                case "bool" -> switch (value.trim()) {
                    case "true" -> GgufValue.ofBool(true);
                    case "false" -> GgufValue.ofBool(false);
                    default -> throw new KilnException("--override-kv " + key + ": bool value must be true or false, got '" + value + "'");
                };
                case "str" -> {
                    if (value.length() > 127) throw new KilnException("--override-kv " + key + ": string longer than 127 bytes");
                    yield GgufValue.ofString(value);
                }
                default -> throw new KilnException("--override-kv " + key + ": unknown type '" + type + "' (int, float, bool or str)");
            };
        } catch (NumberFormatException e) {
            throw new KilnException("--override-kv " + key + ": '" + value + "' is not a valid " + type);
        }
    }
}
