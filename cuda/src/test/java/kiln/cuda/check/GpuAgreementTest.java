package kiln.cuda.check;

import kiln.cuda.device.CudaDevices;
import kiln.cuda.gpu.CudaBackend;
import kiln.cuda.gpu.CudaContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every CUDA kernel against its scalar oracle; runs only where a CUDA device is found (skipped, and reported so, elsewhere). */
class GpuAgreementTest {
    @Test
    void everyKernelAgreesWithItsOracle() {
        CudaDevices d = CudaDevices.probe();
        Assumptions.assumeTrue(d.found(), "no CUDA device: " + d.reason());
        try (CudaBackend gpu = new CudaBackend(CudaContext.open(0))) {
            List<Agreement> results = KernelAgreement.run(gpu);
            assertFalse(results.isEmpty());
            List<String> bad = results.stream().filter(a -> !a.ok()).map(Agreement::json).toList();
            assertEquals(List.of(), bad);
        }
    }
}
