package kiln.convert.write;

import kiln.convert.tensors.TensorData;
import kiln.tensor.GgmlType;
import kiln.tensor.repack.Interleaver;

import java.lang.foreign.MemorySegment;

/**
 * One output tensor: GGUF name, type, ne (n_dims as stored), and either its values (encoded to {@code type} on write)
 * or its finished bytes ({@code raw}, copied as they are; with {@code unpack}, raw holds the interleaved form and is
 * unpacked to {@code type}, its base type, on write).
 */
public record PlannedTensor(String name, GgmlType type, long[] ne, TensorData data, MemorySegment raw, Interleaver unpack) {
    public PlannedTensor(String name, GgmlType type, long[] ne, TensorData data) {
        this(name, type, ne, data, null, null);
    }

    public PlannedTensor(String name, GgmlType type, long[] ne, TensorData data, MemorySegment raw) {
        this(name, type, ne, data, raw, null);
    }

    /** Interleaved bytes written back as their base type (lossless; {@code kiln repack --undo}'s bytes). */
    public static PlannedTensor unpacked(String name, Interleaver unpack, long[] ne, MemorySegment raw) {
        return new PlannedTensor(name, unpack.baseType(), ne, null, raw, unpack);
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
