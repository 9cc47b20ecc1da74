package kiln.cuda.gpu;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import kiln.cuda.kernel.Kernel;
import kiln.cuda.kernel.PtxModule;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * One CUDA context on one device with Kiln's PTX modules loaded (cuModuleLoadData from the class path), device
 * memory, copies and kernel launches checked against {@link Kernel}'s parameter lists. JCuda's exceptions are on:
 * a failing driver call throws {@link jcuda.CudaException} naming the CUresult.
 *
 * <p>NOT RUN ON A GPU YET: this class compiles and its argument checks are unit-tested, but no call into the driver
 * has been made from it on a machine with a device (see cuda/README.md).
 */
public final class CudaContext implements AutoCloseable {
    /** Host→device copies of memory-mapped weights go through a staging buffer of this size (JCuda's Pointer.to(Buffer) takes ≤ 2 GiB). */
    static final int STAGING_BYTES = 64 << 20;

    private final CUcontext context = new CUcontext();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    private ByteBuffer staging;

    private CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        CUdevice dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, ordinal);
        JCudaDriver.cuCtxCreate(context, 0, dev);
        for (Kernel k : Kernel.values()) {
            CUmodule m = modules.computeIfAbsent(k.module(), name -> {
                CUmodule mod = new CUmodule();
                JCudaDriver.cuModuleLoadData(mod, PtxModule.load(name).image());
                return mod;
            });
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, m, k.entry());
            functions.put(k, f);
        }
    }

    /** A context on CUDA device {@code ordinal} with every kernel loaded (the driver JIT-compiles the PTX on first load). */
    public static CudaContext open(int ordinal) {
        return new CudaContext(ordinal);
    }

    public DeviceBuffer alloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, Math.max(1, bytes));
        return new DeviceBuffer(p, bytes);
    }

    public DeviceBuffer upload(float[] src) {
        DeviceBuffer b = alloc(4L * src.length);
        JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(src), 4L * src.length);
        return b;
    }

    public DeviceBuffer upload(int[] src) {
        DeviceBuffer b = alloc(4L * src.length);
        JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(src), 4L * src.length);
        return b;
    }

    public DeviceBuffer upload(short[] src) {
        DeviceBuffer b = alloc(2L * src.length);
        JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(src), 2L * src.length);
        return b;
    }

    /** Any segment (a mapped file slice or a heap array), copied through the staging buffer in pieces. */
    public DeviceBuffer upload(MemorySegment src) {
        DeviceBuffer b = alloc(src.byteSize());
        if (staging == null) staging = ByteBuffer.allocateDirect(STAGING_BYTES);
        MemorySegment stage = MemorySegment.ofBuffer(staging);
        for (long off = 0; off < src.byteSize(); off += STAGING_BYTES) {
            long n = Math.min(STAGING_BYTES, src.byteSize() - off);
            MemorySegment.copy(src, off, stage, 0, n);
            JCudaDriver.cuMemcpyHtoD(b.ptr.withByteOffset(off), Pointer.to(staging), n);
        }
        return b;
    }

    public void upload(DeviceBuffer dst, float[] src) {
        JCudaDriver.cuMemcpyHtoD(dst.ptr, Pointer.to(src), 4L * src.length);
    }

    public void download(DeviceBuffer src, float[] dst) {
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), src.ptr, 4L * dst.length);
    }

    public void download(DeviceBuffer src, byte[] dst) {
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), src.ptr, dst.length);
    }

    public void download(DeviceBuffer src, int[] dst) {
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), src.ptr, 4L * dst.length);
    }

    /** Device-to-device copy (the bandwidth reference of gpu-check). */
    public void copy(DeviceBuffer dst, DeviceBuffer src, long bytes) {
        JCudaDriver.cuMemcpyDtoD(dst.ptr, src.ptr, bytes);
    }

    /** Launches a kernel on the default stream; arguments must match {@link Kernel#params()}. */
    public void launch(Kernel k, int gridX, int gridY, int block, Object... args) {
        Pointer params = Pointer.to(LaunchArgs.pointers(k, args));
        JCudaDriver.cuLaunchKernel(functions.get(k), gridX, gridY, 1, block, 1, 1, 0, null, params, null);
    }

    public void synchronize() {
        JCudaDriver.cuCtxSynchronize();
    }

    /** Milliseconds the device spent on {@code work} (events around it on the default stream). */
    public float timeMs(Runnable work) {
        CUevent start = new CUevent(), stop = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        JCudaDriver.cuEventRecord(start, (CUstream) null);
        work.run();
        JCudaDriver.cuEventRecord(stop, (CUstream) null);
        JCudaDriver.cuEventSynchronize(stop);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, start, stop);
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(stop);
        return ms[0];
    }

    @Override
    public void close() {
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        JCudaDriver.cuCtxDestroy(context);
    }
}
