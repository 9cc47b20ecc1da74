package kiln.tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two {@code llama_ftype} tables: the value stored in {@code general.file_type}. Mainline's and ik's agree
 * on 0–32 and differ above (spec gguf-and-quants.md §2.3, ik-llama-formats.md §2.2). Note that ftype numbers
 * are not ggml type ids.
 */
public final class FileType {
    private FileType() {}

    public static final int GUESSED = 1024;

    private static final Map<Integer, String> COMMON = new LinkedHashMap<>();
    private static final Map<Integer, String> MAINLINE = new LinkedHashMap<>();
    private static final Map<Integer, String> IK = new LinkedHashMap<>();

    static {
        String[][] common = {
            {"0", "ALL_F32"}, {"1", "MOSTLY_F16"}, {"2", "MOSTLY_Q4_0"}, {"3", "MOSTLY_Q4_1"},
            {"7", "MOSTLY_Q8_0"}, {"8", "MOSTLY_Q5_0"}, {"9", "MOSTLY_Q5_1"}, {"10", "MOSTLY_Q2_K"},
            {"11", "MOSTLY_Q3_K_S"}, {"12", "MOSTLY_Q3_K_M"}, {"13", "MOSTLY_Q3_K_L"}, {"14", "MOSTLY_Q4_K_S"},
            {"15", "MOSTLY_Q4_K_M"}, {"16", "MOSTLY_Q5_K_S"}, {"17", "MOSTLY_Q5_K_M"}, {"18", "MOSTLY_Q6_K"},
            {"19", "MOSTLY_IQ2_XXS"}, {"20", "MOSTLY_IQ2_XS"}, {"21", "MOSTLY_Q2_K_S"}, {"22", "MOSTLY_IQ3_XS"},
            {"23", "MOSTLY_IQ3_XXS"}, {"24", "MOSTLY_IQ1_S"}, {"25", "MOSTLY_IQ4_NL"}, {"26", "MOSTLY_IQ3_S"},
            {"27", "MOSTLY_IQ3_M"}, {"28", "MOSTLY_IQ2_S"}, {"29", "MOSTLY_IQ2_M"}, {"30", "MOSTLY_IQ4_XS"},
            {"31", "MOSTLY_IQ1_M"}, {"32", "MOSTLY_BF16"},
        };
        for (String[] e : common) COMMON.put(Integer.parseInt(e[0]), e[1]);
        MAINLINE.putAll(COMMON);
        String[][] mainline = {
            {"36", "MOSTLY_TQ1_0"}, {"37", "MOSTLY_TQ2_0"}, {"38", "MOSTLY_MXFP4_MOE"}, {"39", "MOSTLY_NVFP4"},
            {"40", "MOSTLY_Q1_0"}, {"41", "MOSTLY_Q2_0"},
        };
        for (String[] e : mainline) MAINLINE.put(Integer.parseInt(e[0]), e[1]);
        IK.putAll(COMMON);
        String[][] ik = {
            {"33", "MOSTLY_Q4_0_4_4"}, {"34", "MOSTLY_Q4_0_4_8"}, {"35", "MOSTLY_Q4_0_8_8"},
            {"38", "MOSTLY_MXFP4"}, {"41", "MOSTLY_Q1_0_G128"},
            {"135", "MOSTLY_Q6_0"}, {"136", "MOSTLY_IQ1_BN"}, {"137", "MOSTLY_IQ2_BN"}, {"138", "MOSTLY_IQ2_K"},
            {"139", "MOSTLY_IQ3_K"}, {"140", "MOSTLY_IQ4_K"}, {"141", "MOSTLY_IQ5_K"}, {"142", "MOSTLY_IQ6_K"},
            {"145", "MOSTLY_IQ4_KS"}, {"146", "MOSTLY_IQ3_KL"}, {"147", "MOSTLY_IQ2_KS"}, {"148", "MOSTLY_IQ4_KSS"},
            {"149", "MOSTLY_Q8_KV"}, {"150", "MOSTLY_IQ5_KS"}, {"151", "MOSTLY_IQ2_KT"}, {"152", "MOSTLY_IQ3_KT"},
            {"153", "MOSTLY_IQ4_KT"}, {"154", "MOSTLY_IQ3_KS"}, {"155", "MOSTLY_IQ2_KL"}, {"156", "MOSTLY_IQ1_KT"},
            {"202", "MOSTLY_Q4_0_R8"}, {"207", "MOSTLY_Q8_0_R8"}, {"208", "MOSTLY_Q5_0_R4"}, {"210", "MOSTLY_Q2_K_R4"},
            {"211", "MOSTLY_Q3_K_R4"}, {"214", "MOSTLY_Q4_K_R4"}, {"216", "MOSTLY_Q5_K_R4"}, {"218", "MOSTLY_Q6_K_R4"},
            {"219", "MOSTLY_IQ2_XXS_R4"}, {"220", "MOSTLY_IQ2_XS_R4"}, {"223", "MOSTLY_IQ3_XXS_R4"},
            {"224", "MOSTLY_IQ1_S_R4"}, {"225", "MOSTLY_IQ4_NL_R4"}, {"226", "MOSTLY_IQ3_S_R4"},
            {"229", "MOSTLY_IQ2_M_R4"}, {"230", "MOSTLY_IQ4_XS_R8"}, {"231", "MOSTLY_IQ1_M_R4"},
            {"232", "MOSTLY_BF16_R16"}, {"335", "MOSTLY_Q6_0_R4"}, {"337", "MOSTLY_IQ2_BN_R4"},
            {"338", "MOSTLY_IQ2_K_R4"}, {"339", "MOSTLY_IQ3_K_R4"}, {"340", "MOSTLY_IQ4_K_R4"},
            {"341", "MOSTLY_IQ5_K_R4"}, {"345", "MOSTLY_IQ4_KS_R4"}, {"350", "MOSTLY_IQ5_KS_R4"},
            {"351", "MOSTLY_MXFP4_R8"}, {"398", "MOSTLY_Q8_KV_R8"}, {"399", "MOSTLY_Q8_K_R8"},
        };
        for (String[] e : ik) IK.put(Integer.parseInt(e[0]), e[1]);
    }

    /** Mainline's name for an ftype value (with "(guessed)" for the 1024 flag), or null when unknown. */
    public static String mainlineName(long value) {
        return name(MAINLINE, value);
    }

    /** ik_llama.cpp's name for an ftype value, or null when unknown. */
    public static String ikName(long value) {
        return name(IK, value);
    }

    /** Mainline ftype value for a name such as "MOSTLY_Q4_K_M" or "Q4_K_M"; -1 if unknown. */
    public static int mainlineValue(String name) {
        return value(MAINLINE, name);
    }

    /** ik ftype value for a name such as "MOSTLY_Q4_K_R4" or "Q4_K_R4"; -1 if unknown. */
    public static int ikValue(String name) {
        return value(IK, name);
    }

    public static Map<Integer, String> mainlineTable() { return java.util.Collections.unmodifiableMap(MAINLINE); }

    public static Map<Integer, String> ikTable() { return java.util.Collections.unmodifiableMap(IK); }

    private static String name(Map<Integer, String> table, long value) {
        boolean guessed = (value & GUESSED) != 0;
        String n = table.get((int) (value & ~GUESSED));
        if (n == null) return null;
        return guessed ? n + " (guessed)" : n;
    }

    private static int value(Map<Integer, String> table, String name) {
        String want = name.toUpperCase(java.util.Locale.ROOT);
        for (Map.Entry<Integer, String> e : table.entrySet()) {
            String v = e.getValue();
            if (v.equals(want) || v.equals("MOSTLY_" + want) || v.equals("ALL_" + want)) return e.getKey();
        }
        return -1;
    }
}
