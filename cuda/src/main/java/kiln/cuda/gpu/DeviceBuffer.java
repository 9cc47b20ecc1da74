package kiln.cuda.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** Device memory from cuMemAlloc, freed on close. */
public final class DeviceBuffer implements AutoCloseable {
    final CUdeviceptr ptr;
    private final long bytes;
    private boolean freed;

    DeviceBuffer(CUdeviceptr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (!freed) {
            JCudaDriver.cuMemFree(ptr);
            freed = true;
        }
    }
}
