package kiln.convert.write;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;

/** --outtype: the type of every tensor that is not forced to F32, and the general.file_type it implies. */
public enum OutType {
    F32(GgmlType.F32, 0), F16(GgmlType.F16, 1), BF16(GgmlType.BF16, 32), Q8_0(GgmlType.Q8_0, 7), AUTO(null, -1);

    public final GgmlType type;
    public final int fileType;

    OutType(GgmlType type, int fileType) {
        this.type = type;
        this.fileType = fileType;
    }

    public static OutType parse(String s) {
        OutType t = find(s);
        if (t == null) throw new KilnException("--outtype: unknown type '" + s + "' (expected f32, f16, bf16, q8_0 or auto)");
        return t;
    }

    /** The converter's own out type of that name (any case), or null. */
    public static OutType find(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> F32;
            case "f16" -> F16;
            case "bf16" -> BF16;
            case "q8_0" -> Q8_0;
            case "auto" -> AUTO;
            default -> null;
        };
    }
}
