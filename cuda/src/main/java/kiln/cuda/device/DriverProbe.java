package kiln.cuda.device;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The only class of the discovery that touches JCuda; loaded when {@link CudaDevices#probe()} runs, not before. */
final class DriverProbe {
    private DriverProbe() {}

    static CudaDevices probe() {
        JCudaDriver.setExceptionsEnabled(false);
        int rc = JCudaDriver.cuInit(0);
        if (rc != CUresult.CUDA_SUCCESS) return CudaDevices.none("cuInit: " + CUresult.stringFor(rc));
        int[] count = new int[1];
        rc = JCudaDriver.cuDeviceGetCount(count);
        if (rc != CUresult.CUDA_SUCCESS) return CudaDevices.none("cuDeviceGetCount: " + CUresult.stringFor(rc));
        if (count[0] == 0) return CudaDevices.none("the driver reports 0 devices");
        List<CudaDevice> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            CUdevice dev = new CUdevice();
            rc = JCudaDriver.cuDeviceGet(dev, i);
            if (rc != CUresult.CUDA_SUCCESS) return CudaDevices.none("cuDeviceGet(" + i + "): " + CUresult.stringFor(rc));
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, dev);
            int n = 0;
            while (n < name.length && name[n] != 0) n++;
            int[] major = new int[1], minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            int[] clock = new int[1], bus = new int[1];
            JCudaDriver.cuDeviceGetAttribute(clock, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, dev);
            JCudaDriver.cuDeviceGetAttribute(bus, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, dev);
            long[] free = new long[1], total = new long[1];
            CUcontext ctx = new CUcontext();
            rc = JCudaDriver.cuCtxCreate(ctx, 0, dev);
            if (rc != CUresult.CUDA_SUCCESS) return CudaDevices.none("cuCtxCreate on device " + i + ": " + CUresult.stringFor(rc));
            try {
                rc = JCudaDriver.cuMemGetInfo(free, total);
                if (rc != CUresult.CUDA_SUCCESS) return CudaDevices.none("cuMemGetInfo on device " + i + ": " + CUresult.stringFor(rc));
            } finally {
                JCudaDriver.cuCtxDestroy(ctx);
            }
            out.add(new CudaDevice(i, new String(name, 0, n, StandardCharsets.UTF_8), major[0], minor[0], total[0], free[0], clock[0], bus[0]));
        }
        return new CudaDevices(List.copyOf(out), null);
    }
}
