package kiln.convert.source;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a HuggingFace checkpoint, as the checkpoint stores it: its name, its dtype in safetensors
 * spelling ("F32", "F16", "BF16", "F8_E4M3", "I64", …), its shape in PyTorch order (outermost first), and
 * its bytes, row-major and little-endian. {@link #data()} may map or read lazily; callers process one tensor
 * at a time so memory stays bounded.
 */
public interface SourceTensor {
    String name();

    String dtype();

    long[] shape();

    /** Row-major little-endian bytes, exactly {@code product(shape) * dtypeSize} long. */
    MemorySegment data();
}
