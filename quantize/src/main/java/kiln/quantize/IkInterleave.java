package kiln.quantize;

import kiln.tensor.GgmlType;

import java.util.Map;

/**
 * ik_llama.cpp's {@code interleaved_properties} (src/llama-quantize.cpp): for a row-interleaved type, the type a
 * tensor falls back to when its row count is not a multiple of the interleave (and that {@code token_embd} always
 * gets), and the interleave. It is ik's own table, not {@link GgmlType#base()}: {@code Q8_K_R8} falls back to
 * {@code Q8_0}, {@code IQ1_S_R4}/{@code IQ1_M_R4} (whose blocks differ from their base's) to {@code IQ1_S}/{@code IQ1_M},
 * and {@code Q8_K_R16} is not in it.
 */
final class IkInterleave {
    private IkInterleave() {}

    private record Props(GgmlType base, int rows) {}

    private static final Map<GgmlType, Props> TABLE = Map.ofEntries(
            Map.entry(GgmlType.Q4_0_4X4, new Props(GgmlType.Q4_0, 4)),
            Map.entry(GgmlType.Q4_0_4X8, new Props(GgmlType.Q4_0, 4)),
            Map.entry(GgmlType.Q4_0_8X8, new Props(GgmlType.Q4_0, 8)),
            Map.entry(GgmlType.Q4_0_R8, new Props(GgmlType.Q4_0, 8)),
            Map.entry(GgmlType.Q5_0_R4, new Props(GgmlType.Q5_0, 4)),
            Map.entry(GgmlType.Q6_0_R4, new Props(GgmlType.Q6_0, 4)),
            Map.entry(GgmlType.Q8_0_R8, new Props(GgmlType.Q8_0, 8)),
            Map.entry(GgmlType.Q2_K_R4, new Props(GgmlType.Q2_K, 4)),
            Map.entry(GgmlType.Q3_K_R4, new Props(GgmlType.Q3_K, 4)),
            Map.entry(GgmlType.Q4_K_R4, new Props(GgmlType.Q4_K, 4)),
            Map.entry(GgmlType.Q5_K_R4, new Props(GgmlType.Q5_K, 4)),
            Map.entry(GgmlType.Q6_K_R4, new Props(GgmlType.Q6_K, 4)),
            Map.entry(GgmlType.IQ2_XXS_R4, new Props(GgmlType.IQ2_XXS, 4)),
            Map.entry(GgmlType.IQ2_XS_R4, new Props(GgmlType.IQ2_XS, 4)),
            Map.entry(GgmlType.IQ2_S_R4, new Props(GgmlType.IQ2_S, 4)),
            Map.entry(GgmlType.IQ3_XXS_R4, new Props(GgmlType.IQ3_XXS, 4)),
            Map.entry(GgmlType.IQ3_S_R4, new Props(GgmlType.IQ3_S, 4)),
            Map.entry(GgmlType.IQ4_XS_R8, new Props(GgmlType.IQ4_XS, 8)),
            Map.entry(GgmlType.IQ4_NL_R4, new Props(GgmlType.IQ4_NL, 4)),
            Map.entry(GgmlType.IQ1_S_R4, new Props(GgmlType.IQ1_S, 4)),
            Map.entry(GgmlType.IQ1_M_R4, new Props(GgmlType.IQ1_M, 4)),
            Map.entry(GgmlType.IQ2_BN_R4, new Props(GgmlType.IQ2_BN, 4)),
            Map.entry(GgmlType.IQ2_K_R4, new Props(GgmlType.IQ2_K, 4)),
            Map.entry(GgmlType.IQ3_K_R4, new Props(GgmlType.IQ3_K, 4)),
            Map.entry(GgmlType.IQ4_K_R4, new Props(GgmlType.IQ4_K, 4)),
            Map.entry(GgmlType.IQ4_KS_R4, new Props(GgmlType.IQ4_KS, 4)),
            Map.entry(GgmlType.IQ5_KS_R4, new Props(GgmlType.IQ5_KS, 4)),
            Map.entry(GgmlType.IQ5_K_R4, new Props(GgmlType.IQ5_K, 4)),
            Map.entry(GgmlType.MXFP4_R8, new Props(GgmlType.MXFP4, 8)),
            Map.entry(GgmlType.Q8_KV_R8, new Props(GgmlType.Q8_KV, 8)),
            Map.entry(GgmlType.Q8_K_R8, new Props(GgmlType.Q8_0, 8)),
            Map.entry(GgmlType.BF16_R16, new Props(GgmlType.BF16, 16)));

    /** The fallback type ({@code interleaved_properties(type).first}); the type itself when it is not interleaved. */
    static GgmlType base(GgmlType type) {
        Props p = TABLE.get(type);
        return p == null ? type : p.base;
    }

    /** Rows interleaved together ({@code .second}); 1 when the type is not in ik's table. */
    static int rows(GgmlType type) {
        Props p = TABLE.get(type);
        return p == null ? 1 : p.rows;
    }
}
