package kiln.quantize;

/** {@code llama_ftype} values the mix rules test (spec gguf-and-quants.md §2.3, ik-llama-formats.md §2.2). */
final class LlamaFtype {
    private LlamaFtype() {}

    static final int F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9, Q2_K = 10, Q3_K_S = 11,
            Q3_K_M = 12, Q3_K_L = 13, Q4_K_S = 14, Q4_K_M = 15, Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, IQ2_XXS = 19,
            IQ2_XS = 20, Q2_K_S = 21, IQ3_XS = 22, IQ3_XXS = 23, IQ1_S = 24, IQ4_NL = 25, IQ3_S = 26, IQ3_M = 27,
            IQ2_S = 28, IQ2_M = 29, IQ4_XS = 30, IQ1_M = 31, BF16 = 32;
    static final int TQ1_0 = 36, TQ2_0 = 37, MXFP4_MOE = 38;
    // ik only
    static final int Q6_0 = 135, Q4_0_R8 = 202, Q8_0_R8 = 207, Q5_0_R4 = 208, Q2_K_R4 = 210, Q3_K_R4 = 211,
            Q4_K_R4 = 214, Q5_K_R4 = 216, Q6_K_R4 = 218, IQ4_NL_R4 = 225, IQ4_XS_R8 = 230, BF16_R16 = 232, Q6_0_R4 = 335;
    static final int IQ2_K = 138, IQ3_K = 139, IQ4_K = 140, IQ5_K = 141, IQ6_K = 142, IQ2_K_R4 = 338, IQ3_K_R4 = 339,
            IQ4_K_R4 = 340, IQ5_K_R4 = 341, IQ4_KS = 145, IQ5_KS = 150, IQ4_KS_R4 = 345, IQ5_KS_R4 = 350,
            IQ3_KS = 154, IQ4_KSS = 148, IQ3_KL = 146, IQ2_KL = 155, IQ2_KS = 147;
    static final int MXFP4 = 38, Q4_0_4_4 = 33, Q4_0_4_8 = 34, Q4_0_8_8 = 35, IQ1_BN = 136, IQ2_BN = 137, Q8_KV = 149,
            IQ2_KT = 151, IQ3_KT = 152, IQ4_KT = 153, IQ1_KT = 156, IQ2_XXS_R4 = 219, IQ2_XS_R4 = 220, IQ3_XXS_R4 = 223,
            IQ1_S_R4 = 224, IQ3_S_R4 = 226, IQ2_M_R4 = 229, IQ1_M_R4 = 231, IQ2_BN_R4 = 337, MXFP4_R8 = 351, Q8_KV_R8 = 398,
            Q8_K_R8 = 399;

    static boolean in(int v, int... set) {
        for (int s : set) if (s == v) return true;
        return false;
    }
}
