package kiln.convert.safetensors;

/** Element sizes of the safetensors dtypes Kiln reads. */
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
}
