package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.RowCodec;

/**
 * ik's types whose matrix multiplication reads them other than their {@code dequantize_row_*} does, as ik_llama.cpp's
 * kernels read them, for a runtime that should compute what ik's does. IQ6_K: ik's kernels
 * ({@code iqk/iqk_gemm_iqk_quants.cpp}: {@code DequantizerIQ6K}, {@code iqk_convert_iq6_k_q8_k_r8}) look each 6-bit
 * index up in the int8 table {@code iq6nl_values} (+1 where the block is shifted), while
 * {@code dequantize_row_iq6_k} evaluates the cubic the table rounds (up to 0.5 apart). The trellis types: ik's x86 kernels ({@code iqk/iqk_gemm_ktquants.cpp}: {@code mul_mat_iq2_kt_q8_2_x4_T},
 * {@code iqk_dequantize_iq2_kt_q80_r8} and the IQ3_KT ones) multiply the row scale by 1.05 for IQ2_KT and by 1.01
 * for IQ3_KT; {@code dequantize_row_iq*_kt} (what {@code llama-quantize} uses to requantize, and
 * {@link kiln.tensor.codec.Codecs#find}) does not. IQ1_KT and IQ4_KT use the stored scale in both. (ik's CUDA and ARM
 * kernels use other factors for IQ3_KT: 1.015 and 1.05.)
 */
public final class IkKernelCodecs {
    private IkKernelCodecs() {}

    /** The factor ik's x86 kernels apply to a trellis row's scale: 1.05 for IQ2_KT, 1.01 for IQ3_KT, else 1. */
    public static float rowScaleFactor(GgmlType type) {
        return switch (type) {
            case IQ2_KT -> 1.05f;
            case IQ3_KT -> 1.01f;
            default -> 1f;
        };
    }

    /** The codec whose dequantization equals ik's x86 kernels' view of {@code type}, or null when that is its codec's. */
    public static RowCodec forRuntime(GgmlType type) {
        return switch (type) {
            case IQ6_K -> IkIq6K.AS_IK_KERNELS_READ_IT;
            case IQ1_KT -> IkIq1Kt.INSTANCE;
            case IQ2_KT -> IkIq2Kt.AS_IK_KERNELS_READ_IT;
            case IQ3_KT -> IkIq3Kt.AS_IK_KERNELS_READ_IT;
            case IQ4_KT -> IkIq4Kt.INSTANCE;
            default -> null;
        };
    }
}
