package kiln.tensor.imatrix;

import java.util.Locale;

/** The two importance-matrix file formats. */
public enum ImatrixFormat {
    /** The legacy binary layout (ik_llama.cpp's only format; mainline with {@code --output-format dat}). */
    DAT,
    /** Mainline's GGUF imatrix ({@code <name>.in_sum2}, {@code <name>.counts}). */
    GGUF;

    public static ImatrixFormat parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "dat", "legacy" -> DAT;
            case "gguf" -> GGUF;
            default -> throw new kiln.tensor.KilnException("unknown imatrix format '" + s + "' (expected dat or gguf)");
        };
    }
}
