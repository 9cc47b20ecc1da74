package kiln.cuda.upload;

import kiln.cuda.gpu.CudaBackend;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;
import kiln.tensor.repack.TensorRepacker;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight's bytes as the CUDA kernels read them: plain rows of a type with a CUDA product. ik's interleaved types
 * (Q8_0_R8, Q4_K_R4, Q6_K_R4, IQ4_XS_R8, …) are unpacked to their base type's rows at upload with the tensor
 * module's repack code (the exact inverse of ik's repack), since the GPU kernels read one row per warp.
 */
public final class GpuRows {
    private GpuRows() {}

    /** The type and bytes to upload; {@code data} itself when the type needs no unpacking. */
    public record Rows(GgmlType type, MemorySegment bytes) {}

    /** Whether the GPU can multiply this type, directly or once unpacked. */
    public static boolean supported(GgmlType type) {
        return CudaBackend.hasMatvec(type) || (type.isInterleaved() && CudaBackend.hasMatvec(type.base()));
    }

    /** Plain rows of {@code t}; unpacked copies are allocated in {@code arena} (they can be larger than 2 GiB). */
    public static Rows of(TensorInfo t, MemorySegment data, Arena arena) {
        if (!t.type().isInterleaved()) return new Rows(t.type(), data);
        Interleaver il = Interleavers.requirePacked(t.type());
        long nPerRow = t.dim(0);
        long groups = TensorRepacker.groups(il, t.rowCount());
        MemorySegment out = arena.allocate(groups * il.baseGroupBytes(nPerRow), 64);
        TensorRepacker.unpack(il, data, out, nPerRow, 0, groups);
        return new Rows(il.baseType(), out);
    }
}
