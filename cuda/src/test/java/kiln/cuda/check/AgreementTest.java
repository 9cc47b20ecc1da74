package kiln.cuda.check;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The error measures the GPU checks rest on (CPU only). */
class AgreementTest {
    @Test
    void errorsAreMeasuredAgainstTheReferenceScale() {
        assertEquals(0.5, KernelAgreement.relMax(new float[] {1, 3}, new float[] {1, 2}) * 1, 1e-12 + 0.0); // |3−2| / 2
        assertEquals(1.0, KernelAgreement.absMax(new float[] {1, 3}, new float[] {1, 2}));
        assertTrue(Double.isNaN(KernelAgreement.absMax(new float[] {Float.NaN}, new float[] {1})));
        assertFalse(new Agreement("k", "s", Double.NaN, 1).ok(), "NaN never agrees");
        assertFalse(new Agreement("k", "s", 2e-5, 1e-5).ok());
        assertTrue(new Agreement("k", "s", 1e-6, 1e-5).ok());
        assertTrue(new Agreement("matvec_q4_k", "37x512x2", 1e-6, 1e-5).json().contains("\"ok\": true"));
    }
}
