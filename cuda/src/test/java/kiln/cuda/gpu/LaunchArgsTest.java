package kiln.cuda.gpu;

import jcuda.driver.CUdeviceptr;
import kiln.cuda.kernel.Kernel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A launch's arguments are checked against the PTX signature before anything reaches the driver. */
class LaunchArgsTest {
    private static DeviceBuffer buf() {
        return new DeviceBuffer(new CUdeviceptr(), 16); // a Java object only: never allocated, never freed
    }

    @Test
    void rightArgumentsPass() {
        LaunchArgs.check(Kernel.MATVEC_Q4_K, buf(), buf(), buf(), 4096, 4096);
        LaunchArgs.check(Kernel.SWIGLU, buf(), buf(), buf(), 11008L);
        LaunchArgs.check(Kernel.ROPE_NORM, buf(), buf(), 32, 128, 128, 10000f, 1f, 0f, 1f, 0f, 0f);
        assertEquals(5, LaunchArgs.pointers(Kernel.RMS_NORM, buf(), buf(), buf(), 4096, 1e-5f).length);
    }

    @Test
    void wrongArgumentsAreRefused() {
        assertEquals("matvec_q8_0 takes 5 arguments, got 4",
                assertThrows(IllegalArgumentException.class, () -> LaunchArgs.check(Kernel.MATVEC_Q8_0, buf(), buf(), buf(), 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchArgs.check(Kernel.SWIGLU, buf(), buf(), buf(), 11008), "n is a long long");
        assertThrows(IllegalArgumentException.class, () -> LaunchArgs.check(Kernel.RMS_NORM, buf(), buf(), buf(), 4096, 1e-5), "eps is a float");
        assertThrows(IllegalArgumentException.class, () -> LaunchArgs.check(Kernel.SOFTMAX_ROWS, 1L, 8, 1f), "x is a device pointer");
        assertThrows(IllegalArgumentException.class, () -> LaunchArgs.check(Kernel.SOFTMAX_ROWS, null, 8, 1f));
    }
}
