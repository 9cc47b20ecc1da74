package kiln.cuda.device;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Discovery never throws: on a machine without the driver or a device it says why, in one line. */
class CudaDevicesTest {
    @Test
    void withoutADeviceTheProbeAnswersWithAOneLineReason() {
        CudaDevices d = CudaDevices.probeUncached();
        Assumptions.assumeFalse(d.found(), "this machine has a CUDA device: " + d.devices());
        assertTrue(d.devices().isEmpty());
        assertNotNull(d.reason());
        assertFalse(d.reason().isBlank());
        assertEquals(1, d.reason().lines().count(), d.reason());
        String line = d.refusal("-ngl");
        assertTrue(line.startsWith("no CUDA device found (") && line.endsWith("); run without -ngl"), line);
    }

    @Test
    void aMissingDriverLibraryIsNamed() {
        var e = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nlibcuda.so.1: cannot open shared object file");
        assertEquals("libcuda.so.1, the NVIDIA driver's library, could not be loaded", CudaDevices.describe(e));
        String other = CudaDevices.describe(new UnsatisfiedLinkError("no JCudaDriver in java.library.path\nsecond line"));
        assertEquals("JCuda's driver library could not be loaded: no JCudaDriver in java.library.path", other);
        assertEquals("IllegalStateException: boom", CudaDevices.describe(new IllegalStateException("boom")));
    }

    @Test
    void peakBandwidthFromTheMemoryInterface() {
        // H100 SXM: HBM3 at 2619 MHz on a 5120-bit bus = 3.35 TB/s (NVIDIA's figure); unknown interface: 0
        assertEquals(3.352e12, new CudaDevice(0, "H100", 9, 0, 0, 0, 2_619_000, 5120).peakBandwidth(), 1e9);
        assertEquals(0, new CudaDevice(0, "?", 0, 0, 0, 0, 0, 0).peakBandwidth());
    }

    @Test
    void theFirstAnswerIsKept() {
        assertSame(CudaDevices.probe(), CudaDevices.probe());
    }
}
