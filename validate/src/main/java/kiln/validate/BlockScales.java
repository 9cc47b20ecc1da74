package kiln.validate;

import kiln.tensor.GgmlType;

import java.util.EnumMap;
import java.util.Map;

/**
 * Where the fp16 block scales ({@code d}, {@code dmin}) sit inside one block of a quantized type
 * ({@code ggml-common.h} structs), so {@code validate --deep} can check them for NaN/Inf without a codec.
 * For the 32-element interleaved types ({@code _R4}/{@code _R8}) the block of N rows starts with N scales.
 */
final class BlockScales {
    private BlockScales() {}

    private static final Map<GgmlType, int[]> OFFSETS = new EnumMap<>(GgmlType.class);

    static {
        OFFSETS.put(GgmlType.Q4_0, new int[]{0});
        OFFSETS.put(GgmlType.Q4_1, new int[]{0, 2});
        OFFSETS.put(GgmlType.Q5_0, new int[]{0});
        OFFSETS.put(GgmlType.Q5_1, new int[]{0, 2});
        OFFSETS.put(GgmlType.Q8_0, new int[]{0});
        OFFSETS.put(GgmlType.Q8_1, new int[]{0, 2});
        OFFSETS.put(GgmlType.Q2_K, new int[]{80, 82});
        OFFSETS.put(GgmlType.Q3_K, new int[]{108});
        OFFSETS.put(GgmlType.Q4_K, new int[]{0, 2});
        OFFSETS.put(GgmlType.Q5_K, new int[]{0, 2});
        OFFSETS.put(GgmlType.Q6_K, new int[]{208});
        OFFSETS.put(GgmlType.IQ2_XXS, new int[]{0});
        OFFSETS.put(GgmlType.IQ2_XS, new int[]{0});
        OFFSETS.put(GgmlType.IQ3_XXS, new int[]{0});
        OFFSETS.put(GgmlType.IQ1_S, new int[]{0});
        OFFSETS.put(GgmlType.IQ4_NL, new int[]{0});
        OFFSETS.put(GgmlType.IQ3_S, new int[]{0});
        OFFSETS.put(GgmlType.IQ2_S, new int[]{0});
        OFFSETS.put(GgmlType.IQ4_XS, new int[]{0});
        OFFSETS.put(GgmlType.Q6_0, new int[]{0});
        for (GgmlType t : new GgmlType[]{GgmlType.Q4_0_R8, GgmlType.Q8_0_R8, GgmlType.Q5_0_R4, GgmlType.Q6_0_R4, GgmlType.IQ4_NL_R4}) {
            int[] o = new int[t.interleave()];
            for (int i = 0; i < o.length; i++) o[i] = 2 * i;
            OFFSETS.put(t, o);
        }
    }

    /** fp16 scale offsets within one block (of {@code interleave()} rows for interleaved types), or null if unknown. */
    static int[] offsets(GgmlType t) {
        return OFFSETS.get(t);
    }
}
