package kiln.tensor.repack;

import kiln.tensor.FileType;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.TensorInfo;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code general.file_type} under repacking: ik's {@code repacked_ftype} map (src/llama-quantize.cpp), its inverse
 * for {@code --undo}, and the loader's guess for files without the key ({@code llama_model_loader}).
 *
 * <p>The map is not injective: Q3_K_S/M/L → Q3_K_R4, Q4_K_S/M → Q4_K_R4, Q5_K_S/M → Q5_K_R4. {@link #undo} resolves
 * those from the tensor types of the unpacked file, using how ik's {@code llama_tensor_get_type} mixes them:
 * <ul>
 *   <li>Q4_K_R4 (214) → Q4_K_M (15) when a tensor whose name contains {@code ffn_down} is Q6_K (Q4_K_M gives the
 *       {@code use_more_bits} layers, always including the last, Q6_K), otherwise Q4_K_S (14);</li>
 *   <li>Q5_K_R4 (216) → Q5_K_M (17) / Q5_K_S (16) by the same test;</li>
 *   <li>Q3_K_R4 (211) → Q3_K_L (13) when every {@code ffn_down} tensor is Q5_K, Q3_K_M (12) when some is Q4_K,
 *       otherwise Q3_K_S (11).</li>
 * </ul>
 * Files made with per-tensor type overrides can defeat these rules; {@code kiln repack --undo --file-type} then sets
 * the value explicitly.
 */
public final class RepackFileTypes {
    private RepackFileTypes() {}

    private static final Map<Integer, Integer> REPACKED = new LinkedHashMap<>();
    private static final Map<Integer, Integer> UNDO = new HashMap<>();

    static {
        int[][] map = {
            {2, 202}, {7, 207}, {8, 208}, {10, 210}, {11, 211}, {12, 211}, {13, 211}, {14, 214}, {15, 214},
            {16, 216}, {17, 216}, {18, 218}, {19, 219}, {20, 220}, {23, 223}, {24, 224}, {25, 225}, {26, 226},
            {29, 229}, {30, 230}, {31, 231}, {135, 335}, {32, 232}, {137, 337}, {138, 338}, {139, 339},
            {140, 340}, {141, 341}, {145, 345}, {150, 350}, {149, 398},
        };
        for (int[] e : map) {
            REPACKED.put(e[0], e[1]);
            UNDO.putIfAbsent(e[1], e[0]);
        }
    }

    /** ik's {@code repacked_ftype}: the file type written by {@code --repack} for an input file type. */
    public static long repacked(long ftype) {
        if (ftype < Integer.MIN_VALUE || ftype > Integer.MAX_VALUE) return ftype;
        Integer r = REPACKED.get((int) ftype);
        return r == null ? ftype : r;
    }

    /**
     * The file type to restore on undo, for a repacked file type and the tensors as they will be after unpacking;
     * values that are not repacked file types come back unchanged.
     */
    public static long undo(long ftype, List<TensorInfo> unpacked) {
        if (ftype == 214) return anyFfnDown(unpacked, GgmlType.Q6_K) ? 15 : 14;
        if (ftype == 216) return anyFfnDown(unpacked, GgmlType.Q6_K) ? 17 : 16;
        if (ftype == 211) {
            if (allFfnDown(unpacked, GgmlType.Q5_K)) return 13;
            return anyFfnDown(unpacked, GgmlType.Q4_K) ? 12 : 11;
        }
        Integer b = ftype < Integer.MIN_VALUE || ftype > Integer.MAX_VALUE ? null : UNDO.get((int) ftype);
        return b == null ? ftype : b;
    }

    /** Whether a file type is one {@code --repack} produces from some other one. */
    public static boolean isRepacked(long ftype) {
        return ftype >= Integer.MIN_VALUE && ftype <= Integer.MAX_VALUE && UNDO.containsKey((int) ftype);
    }

    private static boolean anyFfnDown(List<TensorInfo> ts, GgmlType type) {
        for (TensorInfo t : ts) if (t.name().contains("ffn_down") && t.type() == type) return true;
        return false;
    }

    private static boolean allFfnDown(List<TensorInfo> ts, GgmlType type) {
        boolean any = false;
        for (TensorInfo t : ts) {
            if (!t.name().contains("ffn_down")) continue;
            if (t.type() != type) return false;
            any = true;
        }
        return any;
    }

    /**
     * ik's loader guess when {@code general.file_type} is missing: the ftype of the most frequent tensor type (the
     * first type to reach the maximal count, in file order), with {@link FileType#GUESSED} OR-ed in.
     */
    public static long guess(List<TensorInfo> tensors) {
        Map<GgmlType, Integer> counts = new HashMap<>();
        int max = 0;
        GgmlType best = GgmlType.F32;
        for (TensorInfo t : tensors) {
            int c = counts.merge(t.type(), 1, Integer::sum);
            if (max < c) {
                max = c;
                best = t.type();
            }
        }
        return guessFor(best) | FileType.GUESSED;
    }

    private static int guessFor(GgmlType t) {
        String name = switch (t) {
            case F32 -> "ALL_F32";
            case F16 -> "MOSTLY_F16";
            case BF16 -> "MOSTLY_BF16";
            case BF16_R16 -> "MOSTLY_BF16_R16";
            case Q4_0 -> "MOSTLY_Q4_0";
            case Q4_1 -> "MOSTLY_Q4_1";
            case Q5_0 -> "MOSTLY_Q5_0";
            case Q5_1 -> "MOSTLY_Q5_1";
            case Q6_0 -> "MOSTLY_Q6_0";
            case Q8_0 -> "MOSTLY_Q8_0";
            case Q8_KV -> "MOSTLY_Q8_KV";
            case Q2_K -> "MOSTLY_Q2_K";
            case Q3_K -> "MOSTLY_Q3_K_M";
            case Q3_K_R4 -> "MOSTLY_Q3_K_R4";
            case Q4_K -> "MOSTLY_Q4_K_M";
            case Q4_K_R4 -> "MOSTLY_Q4_K_R4";
            case Q5_K -> "MOSTLY_Q5_K_M";
            case Q5_K_R4 -> "MOSTLY_Q5_K_R4";
            case Q6_K -> "MOSTLY_Q6_K";
            case Q6_K_R4 -> "MOSTLY_Q6_K_R4";
            case Q8_K_R8 -> "MOSTLY_Q8_K_R8";
            case Q8_KV_R8 -> "MOSTLY_Q8_KV_R8";
            case IQ2_XXS -> "MOSTLY_IQ2_XXS";
            case IQ2_XXS_R4 -> "MOSTLY_IQ2_XXS_R4";
            case IQ2_XS -> "MOSTLY_IQ2_XS";
            case IQ2_XS_R4 -> "MOSTLY_IQ2_XS_R4";
            case IQ2_KS -> "MOSTLY_IQ2_KS";
            case IQ2_S -> "MOSTLY_IQ2_M";
            case IQ2_S_R4 -> "MOSTLY_IQ2_M_R4";
            case IQ3_XXS -> "MOSTLY_IQ3_XXS";
            case IQ3_XXS_R4 -> "MOSTLY_IQ3_XXS_R4";
            case IQ1_KT -> "MOSTLY_IQ1_KT";
            case IQ2_KT -> "MOSTLY_IQ2_KT";
            case IQ3_KT -> "MOSTLY_IQ3_KT";
            case IQ4_KT -> "MOSTLY_IQ4_KT";
            case IQ1_S -> "MOSTLY_IQ1_S";
            case IQ1_S_R4 -> "MOSTLY_IQ1_S_R4";
            case IQ1_M_R4 -> "MOSTLY_IQ1_M_R4";
            case IQ1_M -> "MOSTLY_IQ1_M";
            case IQ1_BN -> "MOSTLY_IQ1_BN";
            case IQ2_BN -> "MOSTLY_IQ2_BN";
            case IQ2_BN_R4 -> "MOSTLY_IQ2_BN_R4";
            case IQ4_NL -> "MOSTLY_IQ4_NL";
            case IQ4_NL_R4 -> "MOSTLY_IQ4_NL_R4";
            case IQ4_XS_R8 -> "MOSTLY_IQ4_XS_R8";
            case Q4_0_R8 -> "MOSTLY_Q4_0_R8";
            case Q5_0_R4 -> "MOSTLY_Q5_0_R4";
            case Q6_0_R4 -> "MOSTLY_Q6_0_R4";
            case Q8_0_R8 -> "MOSTLY_Q8_0_R8";
            case MXFP4 -> "MOSTLY_MXFP4";
            case IQ4_XS -> "MOSTLY_IQ4_XS";
            case IQ4_KS -> "MOSTLY_IQ4_KS";
            case IQ4_KS_R4 -> "MOSTLY_IQ4_KS_R4";
            case IQ5_KS_R4 -> "MOSTLY_IQ5_KS_R4";
            case IQ4_KSS -> "MOSTLY_IQ4_KSS";
            case IQ5_KS -> "MOSTLY_IQ5_KS";
            case IQ2_K -> "MOSTLY_IQ2_K";
            case IQ2_K_R4 -> "MOSTLY_IQ2_K_R4";
            case IQ3_KS -> "MOSTLY_IQ3_KS";
            case IQ2_KL -> "MOSTLY_IQ2_KL";
            case IQ3_K -> "MOSTLY_IQ3_K";
            case IQ3_K_R4 -> "MOSTLY_IQ3_K_R4";
            case IQ4_K -> "MOSTLY_IQ4_K";
            case IQ4_K_R4 -> "MOSTLY_IQ4_K_R4";
            case IQ5_K -> "MOSTLY_IQ5_K";
            case IQ5_K_R4 -> "MOSTLY_IQ5_K_R4";
            case IQ6_K -> "MOSTLY_IQ6_K";
            case IQ3_S -> "MOSTLY_IQ3_S";
            case IQ3_S_R4 -> "MOSTLY_IQ3_S_R4";
            case Q4_0_4X4 -> "MOSTLY_Q4_0_4_4";
            case Q4_0_4X8 -> "MOSTLY_Q4_0_4_8";
            case Q4_0_8X8 -> "MOSTLY_Q4_0_8_8";
            default -> "ALL_F32"; // ik: "unknown type" → ALL_F32
        };
        int v = FileType.ikValue(name);
        return Math.max(v, 0);
    }
}
