package kiln.convert.safetensors;

/** Element sizes of the safetensors dtypes: those Kiln converts, and every one a checkpoint may hold. */
public final class Dtypes {
    private Dtypes() {}

    public static final String SUPPORTED = "F32, F16, BF16, F8_E4M3";

    /** Bytes per element, or 0 when Kiln cannot read the dtype. */
    public static int size(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F8_E4M3" -> 1;
            default -> 0;
        };
    }

    /** Every dtype a checkpoint may hold, as the archive and PyTorch readers accept them. */
    public static final String KNOWN = "F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2";

    /** Bytes per element of any dtype in {@link #KNOWN}; -1 when unknown. */
    public static int knownSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }
}
