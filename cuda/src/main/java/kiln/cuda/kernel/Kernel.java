package kiln.cuda.kernel;

import java.util.List;

/**
 * Every CUDA kernel Kiln has: the PTX module it is in (src/main/cuda/MODULE.cu → .ptx), its entry name and its
 * parameters as PTX declares them (u64 = a device pointer, u32/s32 = int, f32 = float, s64 = long long). PtxDriftTest
 * checks this table against the committed PTX, so a launch can never pass the wrong argument list unnoticed.
 */
public enum Kernel {
    MATVEC_Q8_0("matvec_quant", "matvec_q8_0", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q4_K("matvec_quant", "matvec_q4_k", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q5_K("matvec_quant", "matvec_q5_k", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q6_K("matvec_quant", "matvec_q6_k", 3, "u64 u64 u64 u32 u32"),
    MATVEC_IQ4_XS("matvec_quant", "matvec_iq4_xs", 3, "u64 u64 u64 u32 u32"),
    MATVEC_F32("matvec_quant", "matvec_f32", 3, "u64 u64 u64 u32 u32"),
    MATVEC_F16("matvec_quant", "matvec_f16", 3, "u64 u64 u64 u32 u32"),
    MATVEC_BF16("matvec_quant", "matvec_bf16", 3, "u64 u64 u64 u32 u32"),
    MATMUL_F32_T8("matvec_quant", "matmul_f32_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_F16_T8("matvec_quant", "matmul_f16_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_BF16_T8("matvec_quant", "matmul_bf16_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_Q8_0_T8("matvec_quant", "matmul_q8_0_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_Q4_K_T8("matvec_quant", "matmul_q4_k_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_Q5_K_T8("matvec_quant", "matmul_q5_k_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_Q6_K_T8("matvec_quant", "matmul_q6_k_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATMUL_IQ4_XS_T8("matvec_quant", "matmul_iq4_xs_t8", 3, "u64 u64 u64 u32 u32 u32"),
    MATVEC_Q8_0_HEADS("matvec_quant", "matvec_q8_0_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q4_K_HEADS("matvec_quant", "matvec_q4_k_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q5_K_HEADS("matvec_quant", "matvec_q5_k_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_Q6_K_HEADS("matvec_quant", "matvec_q6_k_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_IQ4_XS_HEADS("matvec_quant", "matvec_iq4_xs_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_F32_HEADS("matvec_quant", "matvec_f32_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_F16_HEADS("matvec_quant", "matvec_f16_heads", 3, "u64 u64 u64 u32 u32"),
    MATVEC_BF16_HEADS("matvec_quant", "matvec_bf16_heads", 3, "u64 u64 u64 u32 u32"),
    RMS_NORM("rms_norm", "rms_norm", 3, "u64 u64 u64 u32 f32"),
    ROPE_NORM("rope", "rope_norm", 2, "u64 u64 u32 u32 u32 f32 f32 f32 f32 f32 f32"),
    SOFTMAX_ROWS("softmax", "softmax_rows", 1, "u64 u32 f32"),
    SWIGLU("swiglu", "swiglu", 3, "u64 u64 u64 u64"),
    ATTN_SCORES("attention", "attn_scores", 3, "u64 u64 u64 u32 u32 u32 u32"),
    ATTN_VALUES("attention", "attn_values", 3, "u64 u64 u64 u32 u32 u32 u32 u32"),
    ATTN_SCORES_Q8_0("attention", "attn_scores_q8_0", 3, "u64 u64 u64 u32 u32 u32 u32"),
    ATTN_VALUES_Q8_0("attention", "attn_values_q8_0", 3, "u64 u64 u64 u32 u32 u32 u32 u32"),
    ROUTE_EXPERTS("route", "route_experts", 5, "u64 u64 u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 f32"),
    STORE_F16("cache_store", "store_f16", 2, "u64 u64 u64"),
    STORE_Q8_0("cache_store", "store_q8_0", 2, "u64 u64 u64"),
    ADD_INPLACE("cache_store", "add_inplace", 2, "u64 u64 u64");

    private final String module, entry;
    private final int pointers;
    private final List<String> params;

    Kernel(String module, String entry, int pointers, String params) {
        this.module = module;
        this.entry = entry;
        this.pointers = pointers;
        this.params = List.of(params.split(" "));
    }

    /** How many leading parameters are device pointers (the rest are scalars). */
    public int pointerParams() {
        return pointers;
    }

    public String module() {
        return module;
    }

    public String entry() {
        return entry;
    }

    /** PTX parameter types, in order. */
    public List<String> params() {
        return params;
    }
}
