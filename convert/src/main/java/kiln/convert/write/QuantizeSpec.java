package kiln.convert.write;

import java.nio.file.Path;
import java.util.List;

/**
 * One-pass quantization asked for on {@code kiln convert}: a llama-quantize type name for {@code --outtype} and the
 * quantize options that go with it. Everything is resolved against the bf16 file the conversion would have written.
 *
 * @param type               ftype name or number as {@code kiln quantize} accepts it ("Q4_K_M", "IQ4_XS_R8", "15")
 * @param flavor             "mainline" or "ik", or null for the default (ik for an ik-layout DeepSeek output, else mainline)
 * @param imatrix            importance matrix file, or null
 * @param imatrixLabel       the name recorded in {@code quantize.imatrix.file} (the argument as given)
 * @param pure               --pure
 * @param outputTensorType   --output-tensor-type, or null
 * @param tokenEmbeddingType --token-embedding-type, or null
 * @param tensorTypes        --tensor-type REGEX=TYPE rules in the order given
 * @param leaveOutputTensor  --leave-output-tensor
 */
public record QuantizeSpec(String type, String flavor, Path imatrix, String imatrixLabel, boolean pure, String outputTensorType,
                           String tokenEmbeddingType, List<String> tensorTypes, boolean leaveOutputTensor) {
    public QuantizeSpec {
        tensorTypes = List.copyOf(tensorTypes);
        if (imatrix != null && imatrixLabel == null) imatrixLabel = imatrix.toString();
    }

    public static QuantizeSpec of(String type, String flavor, Path imatrix) {
        return new QuantizeSpec(type, flavor, imatrix, null, false, null, null, List.of(), false);
    }
}
