package kiln.quantize;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * ik_llama.cpp quantizes straight to a row-interleaved type ({@code Q4_K_R4}, {@code Q8_0_R8}, ...) by quantizing
 * each group of rows to the base type and interleaving them. The interleaving lives in the tensor library's repack
 * package ({@code kiln.tensor.repack.Interleavers}); this class finds it at run time so that the quantizer works
 * with or without it, and the interleaved types light up as soon as it is on the class path.
 */
final class Interleaving {
    private Interleaving() {}

    private static final MethodHandle FOR_PACKED;
    private static final MethodHandle REPACK;

    static {
        MethodHandle forPacked = null, repack = null;
        try {
            Class<?> registry = Class.forName("kiln.tensor.repack.Interleavers");
            Class<?> iface = Class.forName("kiln.tensor.repack.Interleaver");
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            forPacked = l.findStatic(registry, "forPacked", MethodType.methodType(iface, GgmlType.class));
            repack = l.findVirtual(iface, "repack", MethodType.methodType(void.class, MemorySegment.class, long.class,
                    MemorySegment.class, long.class, long.class));
        } catch (ReflectiveOperationException | LinkageError e) {
            // the repack package is not there: interleaved types cannot be written
        }
        FOR_PACKED = forPacked;
        REPACK = repack;
    }

    /** The interleaver of a packed type, or null when there is none (or the repack package is absent). */
    static Object interleaver(GgmlType packed) {
        if (FOR_PACKED == null || !packed.isInterleaved()) return null;
        try {
            return FOR_PACKED.invoke(packed);
        } catch (Throwable t) {
            return null;
        }
    }

    /** Interleaves {@code packed.interleave()} base rows at {@code src[0]} into one group at {@code dst[dstOff]}. */
    static void repack(Object interleaver, MemorySegment src, MemorySegment dst, long dstOff, long nPerRow) {
        try {
            REPACK.invoke(interleaver, src, 0L, dst, dstOff, nPerRow);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
