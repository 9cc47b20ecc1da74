package kiln.convert.arch;

import kiln.convert.tensors.TensorData;

/** A checkpoint tensor ready for mapping: HF name, values (FP8 already paired with its scale), torch shape, stored dtype. */
public record Input(String hfName, TensorData data, long[] shape, String dtype) {}
