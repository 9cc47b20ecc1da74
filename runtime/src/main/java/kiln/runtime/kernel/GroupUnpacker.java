package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.grid.GridCodecs;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;

import java.lang.foreign.MemorySegment;

/**
 * How the runtime turns one group of an interleaved type into rows of a type with vector kernels: an ik repack
 * ({@code _R4/_R8}) is unpacked to its base rows by its interleaver; IQ1_S_R4, ik's own four-row type, is rewritten
 * losslessly as IQ1_S rows; Q8_KV_R8 groups become Q8_KV rows without their quant sums, which no kernel reads
 * ({@link Q8KvR8Rows}). Types with an in-place kernel ({@link InterleavedKernel}) do not come here.
 */
record GroupUnpacker(GgmlType base, Unpack unpack) {

    interface Unpack {
        void unpack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long cols);
    }

    /** The unpacker for groups of {@code packed} with rows of {@code cols}, or null when there is none. */
    static GroupUnpacker of(GgmlType packed, int cols) {
        if (packed == GgmlType.Q8_KV_R8) return new GroupUnpacker(GgmlType.Q8_KV, Q8KvR8Rows::unpack);
        Interleaver il = Interleavers.forPacked(packed);
        if (il != null) return new GroupUnpacker(il.baseType(), il::unpack);
        if (packed == GgmlType.IQ1_S_R4 && cols % 256 == 0) return new GroupUnpacker(GgmlType.IQ1_S, GridCodecs::iq1sR4AsIq1S);
        return null;
    }
}
