package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A llama-quantize file type ("Q4_K_M"): the {@code llama_ftype} value written to {@code general.file_type} and the
 * default tensor type of the mix (spec gguf-and-quants.md §2.3; ik's table in its {@code quantize.cpp}). Names are
 * matched case-insensitively, or by their numeric value, as both tools do.
 */
public record Ftype(String name, int value, GgmlType defaultType) {

    private static final Map<String, Ftype> MAINLINE = new LinkedHashMap<>();
    private static final Map<String, Ftype> IK = new LinkedHashMap<>();

    static {
        Object[][] common = {
            {"Q4_0", 2, GgmlType.Q4_0}, {"Q4_1", 3, GgmlType.Q4_1}, {"Q5_0", 8, GgmlType.Q5_0}, {"Q5_1", 9, GgmlType.Q5_1},
            {"IQ2_XXS", 19, GgmlType.IQ2_XXS}, {"IQ2_XS", 20, GgmlType.IQ2_XS}, {"IQ2_S", 28, GgmlType.IQ2_XS},
            {"IQ2_M", 29, GgmlType.IQ2_S}, {"IQ1_S", 24, GgmlType.IQ1_S}, {"IQ1_M", 31, GgmlType.IQ1_M},
            {"Q2_K", 10, GgmlType.Q2_K}, {"Q2_K_S", 21, GgmlType.Q2_K}, {"IQ3_XXS", 23, GgmlType.IQ3_XXS},
            {"IQ3_S", 26, GgmlType.IQ3_S}, {"IQ3_M", 27, GgmlType.IQ3_S}, {"Q3_K", 12, GgmlType.Q3_K},
            {"IQ3_XS", 22, GgmlType.IQ3_S}, {"Q3_K_S", 11, GgmlType.Q3_K}, {"Q3_K_M", 12, GgmlType.Q3_K},
            {"Q3_K_L", 13, GgmlType.Q3_K}, {"IQ4_NL", 25, GgmlType.IQ4_NL}, {"IQ4_XS", 30, GgmlType.IQ4_XS},
            {"Q4_K", 15, GgmlType.Q4_K}, {"Q4_K_S", 14, GgmlType.Q4_K}, {"Q4_K_M", 15, GgmlType.Q4_K},
            {"Q5_K", 17, GgmlType.Q5_K}, {"Q5_K_S", 16, GgmlType.Q5_K}, {"Q5_K_M", 17, GgmlType.Q5_K},
            {"Q6_K", 18, GgmlType.Q6_K}, {"Q8_0", 7, GgmlType.Q8_0}, {"F16", 1, GgmlType.F16}, {"BF16", 32, GgmlType.BF16},
            {"F32", 0, GgmlType.F32},
        };
        for (Object[] e : common) {
            Ftype f = new Ftype((String) e[0], (Integer) e[1], (GgmlType) e[2]);
            MAINLINE.put(f.name, f);
        }
        MAINLINE.put("TQ1_0", new Ftype("TQ1_0", 36, GgmlType.TQ1_0));
        MAINLINE.put("TQ2_0", new Ftype("TQ2_0", 37, GgmlType.TQ2_0));
        MAINLINE.put("MXFP4_MOE", new Ftype("MXFP4_MOE", 38, GgmlType.MXFP4));
        // ik's QUANT_OPTIONS (examples/quantize/quantize.cpp) in its order, which decides the name a number gets
        // ("12" is Q3_K, the alias listed first); default types from llama_model_quantize_internal's switch
        Object[][] ik = {
            {"Q4_0", 2, GgmlType.Q4_0}, {"Q4_1", 3, GgmlType.Q4_1}, {"Q5_0", 8, GgmlType.Q5_0}, {"Q5_1", 9, GgmlType.Q5_1},
            {"Q6_0", 135, GgmlType.Q6_0}, {"MXFP4", 38, GgmlType.MXFP4}, {"MXFP4_R8", 351, GgmlType.MXFP4_R8},
            {"IQ2_XXS", 19, GgmlType.IQ2_XXS}, {"IQ2_XXS_R4", 219, GgmlType.IQ2_XXS_R4}, {"IQ2_XS", 20, GgmlType.IQ2_XS},
            {"IQ2_XS_R4", 220, GgmlType.IQ2_XS_R4}, {"IQ2_S", 28, GgmlType.IQ2_XS}, {"IQ2_M", 29, GgmlType.IQ2_S},
            {"IQ2_M_R4", 229, GgmlType.IQ2_S_R4}, {"IQ1_S", 24, GgmlType.IQ1_S}, {"IQ1_S_R4", 224, GgmlType.IQ1_S_R4},
            {"IQ1_M_R4", 231, GgmlType.IQ1_M_R4}, {"IQ1_M", 31, GgmlType.IQ1_M}, {"IQ1_BN", 136, GgmlType.IQ1_BN},
            {"IQ2_BN", 137, GgmlType.IQ2_BN}, {"IQ2_BN_R4", 337, GgmlType.IQ2_BN_R4}, {"Q2_K", 10, GgmlType.Q2_K},
            {"Q2_K_R4", 210, GgmlType.Q2_K_R4}, {"Q2_K_S", 21, GgmlType.Q2_K}, {"IQ3_XXS", 23, GgmlType.IQ3_XXS},
            {"IQ3_KT", 152, GgmlType.IQ3_KT}, {"IQ4_KT", 153, GgmlType.IQ4_KT}, {"IQ3_XXS_R4", 223, GgmlType.IQ3_XXS_R4},
            {"IQ3_S", 26, GgmlType.IQ3_S}, {"IQ3_S_R4", 226, GgmlType.IQ3_S_R4}, {"IQ3_M", 27, GgmlType.IQ3_S},
            {"Q3_K", 12, GgmlType.Q3_K}, {"Q3_K_R4", 211, GgmlType.Q3_K_R4}, {"IQ3_XS", 22, GgmlType.IQ3_S},
            {"Q3_K_S", 11, GgmlType.Q3_K}, {"Q3_K_M", 12, GgmlType.Q3_K}, {"Q3_K_L", 13, GgmlType.Q3_K},
            {"IQ4_NL", 25, GgmlType.IQ4_NL}, {"IQ4_NL_R4", 225, GgmlType.IQ4_NL_R4}, {"IQ4_XS_R8", 230, GgmlType.IQ4_XS_R8},
            {"Q4_0_R8", 202, GgmlType.Q4_0_R8}, {"Q5_0_R4", 208, GgmlType.Q5_0_R4}, {"Q6_0_R4", 335, GgmlType.Q6_0_R4},
            {"Q8_0_R8", 207, GgmlType.Q8_0_R8}, {"Q8_KV", 149, GgmlType.Q8_KV}, {"IQ4_XS", 30, GgmlType.IQ4_XS},
            {"IQ4_KS", 145, GgmlType.IQ4_KS}, {"IQ4_KS_R4", 345, GgmlType.IQ4_KS_R4}, {"IQ5_KS_R4", 350, GgmlType.IQ5_KS_R4},
            {"IQ4_KSS", 148, GgmlType.IQ4_KSS}, {"IQ5_KS", 150, GgmlType.IQ5_KS}, {"IQ2_K", 138, GgmlType.IQ2_K},
            {"IQ2_K_R4", 338, GgmlType.IQ2_K_R4}, {"IQ2_KS", 147, GgmlType.IQ2_KS}, {"IQ1_KT", 156, GgmlType.IQ1_KT},
            {"IQ2_KT", 151, GgmlType.IQ2_KT}, {"IQ2_KL", 155, GgmlType.IQ2_KL}, {"IQ3_KS", 154, GgmlType.IQ3_KS},
            {"IQ3_K", 139, GgmlType.IQ3_K}, {"IQ3_K_R4", 339, GgmlType.IQ3_K_R4}, {"IQ3_KL", 146, GgmlType.IQ3_K},
            {"IQ4_K", 140, GgmlType.IQ4_K}, {"IQ4_K_R4", 340, GgmlType.IQ4_K_R4}, {"IQ5_K", 141, GgmlType.IQ5_K},
            {"IQ5_K_R4", 341, GgmlType.IQ5_K_R4}, {"IQ6_K", 142, GgmlType.IQ6_K}, {"Q4_K", 15, GgmlType.Q4_K},
            {"Q4_K_R4", 214, GgmlType.Q4_K_R4}, {"Q4_K_S", 14, GgmlType.Q4_K}, {"Q4_K_M", 15, GgmlType.Q4_K},
            {"Q5_K", 17, GgmlType.Q5_K}, {"Q5_K_R4", 216, GgmlType.Q5_K_R4}, {"Q5_K_S", 16, GgmlType.Q5_K},
            {"Q5_K_M", 17, GgmlType.Q5_K}, {"Q6_K", 18, GgmlType.Q6_K}, {"Q6_K_R4", 218, GgmlType.Q6_K_R4},
            {"Q8_K_R8", 399, GgmlType.Q8_K_R8}, {"Q8_KV_R8", 398, GgmlType.Q8_KV_R8}, {"Q8_0", 7, GgmlType.Q8_0},
            {"Q4_0_4_4", 33, GgmlType.Q4_0_4X4}, {"Q4_0_4_8", 34, GgmlType.Q4_0_4X8}, {"Q4_0_8_8", 35, GgmlType.Q4_0_8X8},
            {"F16", 1, GgmlType.F16}, {"BF16", 32, GgmlType.BF16}, {"BF16_R16", 232, GgmlType.BF16_R16},
            {"F32", 0, GgmlType.F32}, {"COPY", 0, null},
        };
        for (Object[] e : ik) {
            Ftype f = new Ftype((String) e[0], (Integer) e[1], (GgmlType) e[2]);
            IK.put(f.name, f);
        }
    }

    /** ik's COPY: every tensor copied as it is, {@code general.file_type} kept from the input (no default type). */
    public boolean isCopy() {
        return defaultType == null;
    }

    /** The ftype for a name or number as the given tool's llama-quantize accepts it; a clear error otherwise. */
    public static Ftype parse(String s, Flavor flavor) {
        Ftype f = find(s, flavor);
        if (f == null && flavor == Flavor.MAINLINE && find(s, Flavor.IK) != null) {
            throw new KilnException("quantization type '" + s + "' is ik_llama.cpp's, not llama.cpp's: add --flavor ik");
        }
        if (f == null) {
            throw new KilnException("unknown quantization type '" + s + "' for " + flavor.name().toLowerCase(Locale.ROOT)
                    + "; known: " + String.join(", ", names(flavor)));
        }
        return f;
    }

    /** The ftype, or null. */
    public static Ftype find(String s, Flavor flavor) {
        Map<String, Ftype> table = flavor == Flavor.IK ? IK : MAINLINE;
        Ftype f = table.get(s.toUpperCase(Locale.ROOT));
        if (f != null) return f;
        try {
            int v = Integer.parseInt(s.trim());
            for (Ftype x : table.values()) if (x.value == v) return x;
        } catch (NumberFormatException ignored) {
            // not a number
        }
        return null;
    }

    public static List<String> names(Flavor flavor) {
        return new ArrayList<>((flavor == Flavor.IK ? IK : MAINLINE).keySet());
    }
}
