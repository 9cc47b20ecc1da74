package kiln.convert.write;

import kiln.convert.tensors.TensorData;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * One output tensor: GGUF name, type, ne (n_dims as stored), and either its values (encoded to {@code type} on write)
 * or its finished bytes ({@code raw}, copied as they are).
 */
public record PlannedTensor(String name, GgmlType type, long[] ne, TensorData data, MemorySegment raw) {
    public PlannedTensor(String name, GgmlType type, long[] ne, TensorData data) {
        this(name, type, ne, data, null);
    }

    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    public long byteSize() {
        return type.rowSize(ne[0]) * (elements() / ne[0]);
    }
}
