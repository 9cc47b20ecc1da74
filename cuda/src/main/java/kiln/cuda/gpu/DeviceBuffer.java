package kiln.cuda.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** Device memory from cuMemAlloc, freed on close; or a view into one ({@link #slice}), which frees nothing. */
public final class DeviceBuffer implements AutoCloseable {
    final CUdeviceptr ptr;
    private final long bytes;
    private final boolean owner;
    private boolean freed;

    DeviceBuffer(CUdeviceptr ptr, long bytes) {
        this(ptr, bytes, true);
    }

    private DeviceBuffer(CUdeviceptr ptr, long bytes, boolean owner) {
        this.ptr = ptr;
        this.bytes = bytes;
        this.owner = owner;
    }

    public long bytes() {
        return bytes;
    }

    /** The bytes [offset, offset + length) of this buffer (e.g. one cache row), valid while this buffer is. */
    public DeviceBuffer slice(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes) throw new IndexOutOfBoundsException(offset + "+" + length + " of " + bytes);
        return new DeviceBuffer(ptr.withByteOffset(offset), length, false);
    }

    @Override
    public void close() {
        if (owner && !freed) {
            JCudaDriver.cuMemFree(ptr);
            freed = true;
        }
    }
}
