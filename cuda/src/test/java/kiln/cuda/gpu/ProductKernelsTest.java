package kiln.cuda.gpu;

import kiln.cuda.kernel.Kernel;
import kiln.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/** Each weight type with a CUDA product maps to its own three kernels (by entry name), never another type's. */
class ProductKernelsTest {
    @Test
    void eachTypeHasItsGenerationTiledAndPerHeadKernel() {
        int types = 0;
        for (GgmlType t : GgmlType.values()) {
            if (!CudaBackend.hasMatvec(t)) continue;
            types++;
            String n = t.ggmlName().toLowerCase(Locale.ROOT);
            assertEquals("matvec_" + n, CudaBackend.kernel(t, CudaBackend.Product.GENERATION).entry());
            assertEquals("matmul_" + n + "_t8", CudaBackend.kernel(t, CudaBackend.Product.TILED).entry());
            assertEquals("matvec_" + n + "_heads", CudaBackend.kernel(t, CudaBackend.Product.HEADS).entry());
        }
        assertEquals(8, types, "Q8_0, Q4_K, Q5_K, Q6_K, IQ4_XS, F32, F16, BF16");
        assertFalse(CudaBackend.hasMatvec(GgmlType.Q4_0));
        assertEquals(Kernel.values().length, java.util.Arrays.stream(Kernel.values()).map(Kernel::entry).distinct().count());
    }
}
