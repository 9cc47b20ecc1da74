package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.TensorInfo;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * ik's model loader's ftype for a file without {@code general.file_type} (llama-model-loader.cpp): the type of the
 * most tensors (the first to reach the highest count, in file order) mapped to its ftype, marked
 * {@code LLAMA_FTYPE_GUESSED} (1024). ik's COPY writes it as the output's {@code general.file_type}.
 */
final class IkGuessedFtype {
    private IkGuessedFtype() {}

    static final int GUESSED = 1024;

    private static final Map<GgmlType, String> FTYPE_OF = new EnumMap<>(GgmlType.class);

    static {
        Object[][] m = {
            {GgmlType.F32, "F32"}, {GgmlType.F16, "F16"}, {GgmlType.BF16, "BF16"}, {GgmlType.BF16_R16, "BF16_R16"},
            {GgmlType.Q4_0, "Q4_0"}, {GgmlType.Q4_1, "Q4_1"}, {GgmlType.Q5_0, "Q5_0"}, {GgmlType.Q5_1, "Q5_1"},
            {GgmlType.Q6_0, "Q6_0"}, {GgmlType.Q8_0, "Q8_0"}, {GgmlType.Q8_KV, "Q8_KV"}, {GgmlType.Q2_K, "Q2_K"},
            {GgmlType.Q3_K, "Q3_K_M"}, {GgmlType.Q3_K_R4, "Q3_K_R4"}, {GgmlType.Q4_K, "Q4_K_M"}, {GgmlType.Q4_K_R4, "Q4_K_R4"},
            {GgmlType.Q5_K, "Q5_K_M"}, {GgmlType.Q5_K_R4, "Q5_K_R4"}, {GgmlType.Q6_K, "Q6_K"}, {GgmlType.Q6_K_R4, "Q6_K_R4"},
            {GgmlType.Q8_K_R8, "Q8_K_R8"}, {GgmlType.Q8_KV_R8, "Q8_KV_R8"}, {GgmlType.IQ2_XXS, "IQ2_XXS"},
            {GgmlType.IQ2_XXS_R4, "IQ2_XXS_R4"}, {GgmlType.IQ2_XS, "IQ2_XS"}, {GgmlType.IQ2_XS_R4, "IQ2_XS_R4"},
            {GgmlType.IQ2_KS, "IQ2_KS"}, {GgmlType.IQ2_S, "IQ2_M"}, {GgmlType.IQ2_S_R4, "IQ2_M_R4"}, {GgmlType.IQ3_XXS, "IQ3_XXS"},
            {GgmlType.IQ3_XXS_R4, "IQ3_XXS_R4"}, {GgmlType.IQ1_KT, "IQ1_KT"}, {GgmlType.IQ2_KT, "IQ2_KT"}, {GgmlType.IQ3_KT, "IQ3_KT"},
            {GgmlType.IQ4_KT, "IQ4_KT"}, {GgmlType.IQ1_S, "IQ1_S"}, {GgmlType.IQ1_S_R4, "IQ1_S_R4"}, {GgmlType.IQ1_M_R4, "IQ1_M_R4"},
            {GgmlType.IQ1_M, "IQ1_M"}, {GgmlType.IQ1_BN, "IQ1_BN"}, {GgmlType.IQ2_BN, "IQ2_BN"}, {GgmlType.IQ2_BN_R4, "IQ2_BN_R4"},
            {GgmlType.IQ4_NL, "IQ4_NL"}, {GgmlType.IQ4_NL_R4, "IQ4_NL_R4"}, {GgmlType.IQ4_XS_R8, "IQ4_XS_R8"},
            {GgmlType.Q4_0_R8, "Q4_0_R8"}, {GgmlType.Q5_0_R4, "Q5_0_R4"}, {GgmlType.Q6_0_R4, "Q6_0_R4"}, {GgmlType.Q8_0_R8, "Q8_0_R8"},
            {GgmlType.MXFP4, "MXFP4"}, {GgmlType.IQ4_XS, "IQ4_XS"}, {GgmlType.IQ4_KS, "IQ4_KS"}, {GgmlType.IQ4_KS_R4, "IQ4_KS_R4"},
            {GgmlType.IQ5_KS_R4, "IQ5_KS_R4"}, {GgmlType.IQ4_KSS, "IQ4_KSS"}, {GgmlType.IQ5_KS, "IQ5_KS"}, {GgmlType.IQ2_K, "IQ2_K"},
            {GgmlType.IQ2_K_R4, "IQ2_K_R4"}, {GgmlType.IQ3_KS, "IQ3_KS"}, {GgmlType.IQ2_KL, "IQ2_KL"}, {GgmlType.IQ3_K, "IQ3_K"},
            {GgmlType.IQ3_K_R4, "IQ3_K_R4"}, {GgmlType.IQ4_K, "IQ4_K"}, {GgmlType.IQ4_K_R4, "IQ4_K_R4"}, {GgmlType.IQ5_K, "IQ5_K"},
            {GgmlType.IQ5_K_R4, "IQ5_K_R4"}, {GgmlType.IQ6_K, "IQ6_K"}, {GgmlType.IQ3_S, "IQ3_S"}, {GgmlType.IQ3_S_R4, "IQ3_S_R4"},
            {GgmlType.Q4_0_4X4, "Q4_0_4_4"}, {GgmlType.Q4_0_4X8, "Q4_0_4_8"}, {GgmlType.Q4_0_8X8, "Q4_0_8_8"},
        };
        for (Object[] e : m) FTYPE_OF.put((GgmlType) e[0], (String) e[1]);
    }

    /** The guessed ftype value, GUESSED included; a type not in ik's switch guesses F32 (ik warns). */
    static int of(List<TensorInfo> fileOrder) {
        Map<GgmlType, Integer> count = new EnumMap<>(GgmlType.class);
        int max = 0;
        GgmlType typeMax = GgmlType.F32;
        for (TensorInfo t : fileOrder) {
            int c = count.merge(t.type(), 1, Integer::sum);
            if (max < c) {
                max = c;
                typeMax = t.type();
            }
        }
        String name = FTYPE_OF.get(typeMax);
        int value = name == null ? LlamaFtype.F32 : Ftype.find(name, kiln.tensor.codec.Flavor.IK).value();
        return value | GUESSED;
    }
}
