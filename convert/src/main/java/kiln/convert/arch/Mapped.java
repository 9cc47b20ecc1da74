package kiln.convert.arch;

import kiln.convert.tensors.TensorData;

/** A tensor as the architecture emits it: GGUF name, the HF name it came from, values, torch shape (outermost first). */
public record Mapped(String name, String hfName, TensorData data, long[] shape) {}
