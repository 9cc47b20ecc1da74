package kiln.convert.pytorch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A PyTorch view (storage offset, shape, stride — all in elements) over a storage's bytes, turned into
 * row-major bytes: a zero-copy slice when the view is contiguous, else an off-heap row-major copy.
 */
final class StridedView {
    private StridedView() {}

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Whether stride is the row-major stride of shape (dimensions of size 1 may have any stride). */
    static boolean contiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** One past the highest element index the view touches (0 for an empty view). */
    static long extent(long offset, long[] shape, long[] stride) {
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return 0;
            last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
        }
        return last + 1;
    }

    /** Row-major bytes of the view; {@code storage} holds the whole storage. */
    static MemorySegment rowMajor(MemorySegment storage, int elemSize, long offset, long[] shape, long[] stride) {
        long n = numel(shape);
        if (contiguous(shape, stride)) return storage.asSlice(offset * elemSize, n * elemSize);
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, n * elemSize), 64).asSlice(0, n * elemSize);
        if (n == 0) return out;
        int dims = shape.length;
        long inner = shape[dims - 1];
        long innerStride = stride[dims - 1];
        long[] index = new long[dims - 1];
        long dst = 0;
        long rows = n / inner;
        for (long r = 0; r < rows; r++) {
            long src = offset;
            for (int i = 0; i < dims - 1; i++) src += index[i] * stride[i];
            if (innerStride == 1) {
                MemorySegment.copy(storage, src * elemSize, out, dst, inner * elemSize);
                dst += inner * elemSize;
            } else {
                for (long j = 0; j < inner; j++) {
                    MemorySegment.copy(storage, (src + j * innerStride) * elemSize, out, dst, elemSize);
                    dst += elemSize;
                }
            }
            for (int i = dims - 2; i >= 0; i--) {
                if (++index[i] < shape[i]) break;
                index[i] = 0;
            }
        }
        return out;
    }
}
