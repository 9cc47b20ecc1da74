package kiln.runtime.kernel;

import kiln.tensor.LittleEndian;

import java.lang.foreign.MemorySegment;

/**
 * Q8_KV_R8 groups as Q8_KV rows for the runtime's Q8_KV kernels, segment to segment: each row's scale and its quants
 * (4-byte pieces {@code q[128c + 32l + 4k ..]} of the group → {@code row_k.q[16c + 4l ..]}, the layout of
 * {@code kiln.tensor.repack.Q8_KVR8}). Unlike that interleaver's exact unpack it leaves each row's quant sum unwritten:
 * the kernels read only the scale and the quants, and the sum would cost another pass over every quant.
 */
final class Q8KvR8Rows {
    private Q8KvR8Rows() {}

    static void unpack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long cols) {
        long rowBytes = 8 + cols;
        long q = srcOff + 32;
        for (int k = 0; k < 8; k++) {
            long row = dstOff + k * rowBytes;
            dst.set(LittleEndian.FLOAT, row, src.get(LittleEndian.FLOAT, srcOff + 4L * k));
            for (long c = 0; c < cols / 16; c++) {
                for (int l = 0; l < 4; l++) {
                    dst.set(LittleEndian.INT, row + 8 + 16 * c + 4 * l, src.get(LittleEndian.INT, q + 128 * c + 32 * l + 4 * k));
                }
            }
        }
    }
}
