package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Flavor;

import java.util.List;

/**
 * Everything that decides the output of one quantization, as llama-quantize's parameters.
 *
 * @param flavor             whose rules and bytes to reproduce
 * @param ftype              the mix
 * @param pure               no mixes (--pure)
 * @param outputTensorType   --output-tensor-type, or null
 * @param tokenEmbeddingType --token-embedding-type, or null
 * @param rules              --tensor-type / --custom-q rules in the order given
 * @param leaveOutputTensor  --leave-output-tensor
 * @param allowRequantize    --allow-requantize
 * @param threads            worker threads (changes nothing in the output)
 * @param ik                 ik_llama.cpp's own options ({@link IkOptions#NONE} for none)
 */
public record QuantizeOptions(Flavor flavor, Ftype ftype, boolean pure, GgmlType outputTensorType, GgmlType tokenEmbeddingType,
                              List<TensorTypeRule> rules, boolean leaveOutputTensor, boolean allowRequantize, int threads,
                              IkOptions ik) {
    public QuantizeOptions {
        rules = List.copyOf(rules);
        if (ik == null) ik = IkOptions.NONE;
    }

    /** Without ik's own options. */
    public QuantizeOptions(Flavor flavor, Ftype ftype, boolean pure, GgmlType outputTensorType, GgmlType tokenEmbeddingType,
                           List<TensorTypeRule> rules, boolean leaveOutputTensor, boolean allowRequantize, int threads) {
        this(flavor, ftype, pure, outputTensorType, tokenEmbeddingType, rules, leaveOutputTensor, allowRequantize, threads, IkOptions.NONE);
    }

    public static QuantizeOptions of(Flavor flavor, Ftype ftype) {
        return new QuantizeOptions(flavor, ftype, false, null, null, List.of(), false, false, 1);
    }
}
