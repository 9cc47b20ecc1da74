package kiln.convert.pytorch;

import java.util.Map;

/** The PyTorch storage classes a state dict may name, with their safetensors dtype spelling and element size. */
final class TorchDtypes {
    private TorchDtypes() {}

    private static final Map<String, String> STORAGE_TO_DTYPE = Map.ofEntries(
            Map.entry("DoubleStorage", "F64"),
            Map.entry("FloatStorage", "F32"),
            Map.entry("HalfStorage", "F16"),
            Map.entry("BFloat16Storage", "BF16"),
            Map.entry("LongStorage", "I64"),
            Map.entry("IntStorage", "I32"),
            Map.entry("ShortStorage", "I16"),
            Map.entry("CharStorage", "I8"),
            Map.entry("ByteStorage", "U8"),
            Map.entry("BoolStorage", "BOOL"));

    /** The dtype of a {@code torch.<name>} storage class, or null when it is not one a state dict may use. */
    static String dtypeOfStorage(String storageClass) {
        return STORAGE_TO_DTYPE.get(storageClass);
    }
}
