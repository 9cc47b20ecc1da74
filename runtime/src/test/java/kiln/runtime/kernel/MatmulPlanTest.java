package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Numerics} and {@link MatmulPlan}: the decisions a product made per call, made once per weight at load. */
class MatmulPlanTest {
    private static MatmulPlan plan(GgmlType t, Numerics n) {
        return MatmulPlan.resolve(t, 512, n, false);
    }

    @Test
    void optionValuesNameTheirNumerics() {
        assertSame(Numerics.FAST, Numerics.named("fast"));
        assertSame(Numerics.F32, Numerics.named("f32"));
        assertSame(Numerics.MAINLINE, Numerics.named("mainline"));
        assertSame(Numerics.IK, Numerics.named("ik"));
        assertThrows(IllegalArgumentException.class, () -> Numerics.named("auto"), "auto is resolved from the file before");
        assertTrue(Numerics.MAINLINE.mainlineForms() && Numerics.MAINLINE.ggmlFlashAttention() && !Numerics.MAINLINE.ikForms());
        assertTrue(Numerics.IK.ikForms() && Numerics.IK.ggmlElementwise() && !Numerics.IK.mainlineForms());
        assertFalse(Numerics.FAST.ggmlFlashAttention() || Numerics.FAST.ggmlElementwise());
    }

    @Test
    void activationTypeAndSumOrderFollowTheNumerics() {
        // mainline rounds to the weight type's ggml dot type, ik only for 16-bit weights, Kiln's own never
        assertEquals(GgmlType.Q8_K, plan(GgmlType.Q4_K, Numerics.MAINLINE).roundTo);
        assertEquals(GgmlType.Q8_0, plan(GgmlType.Q8_0, Numerics.MAINLINE).roundTo);
        assertEquals(GgmlType.BF16, plan(GgmlType.BF16, Numerics.MAINLINE).roundTo);
        assertNull(plan(GgmlType.F32, Numerics.MAINLINE).roundTo);
        assertNull(plan(GgmlType.Q4_K, Numerics.IK).roundTo);
        assertEquals(GgmlType.BF16, plan(GgmlType.BF16, Numerics.IK).roundTo);
        assertNull(plan(GgmlType.BF16, Numerics.FAST).roundTo);
        assertNull(plan(GgmlType.Q8_0, Numerics.GGML_ROUNDED).roundCodec, "FastRows rounds to Q8_0");
        // the reference sums: bf16 and f32 rows under mainline and ik; mainline's expert order for bf16 only
        assertTrue(plan(GgmlType.BF16, Numerics.MAINLINE).referenceSum && plan(GgmlType.BF16, Numerics.MAINLINE).expertVecSum);
        assertTrue(plan(GgmlType.BF16, Numerics.IK).referenceSum && !plan(GgmlType.BF16, Numerics.IK).expertVecSum);
        assertTrue(plan(GgmlType.F32, Numerics.IK).f32Sum);
        assertFalse(plan(GgmlType.BF16, Numerics.FAST).referenceSum);
        assertFalse(plan(GgmlType.Q4_K, Numerics.MAINLINE).referenceSum);
        assertFalse(MatmulPlan.resolve(GgmlType.BF16, 48, Numerics.MAINLINE, false).referenceSum, "rows of 48 are not whole 32-value steps");
    }

    @Test
    void kernelsAreResolvedForTheVectorSetOnly() {
        assertNull(plan(GgmlType.Q4_K, Numerics.FAST).typeKernel, "scalar kernels read no table");
        assertSame(TypeKernels.of(GgmlType.Q4_K), MatmulPlan.resolve(GgmlType.Q4_K, 512, Numerics.FAST, true).typeKernel);
        MatmulPlan r4 = MatmulPlan.resolve(GgmlType.Q4_K_R4, 512, Numerics.FAST, true);
        assertSame(InterleavedKernel.forType(GgmlType.Q4_K_R4), r4.interleavedKernel);
        assertSame(InterleavedRows.forType(GgmlType.Q4_K_R4), r4.interleavedRows);
        assertNull(r4.typeKernel);
        MatmulPlan xs = MatmulPlan.resolve(GgmlType.IQ4_XS_R8, 512, Numerics.FAST, true);
        assertNotNull(xs.unpacker);
        assertSame(TypeKernels.of(GgmlType.IQ4_XS), xs.baseKernel);
    }

    @Test
    void partsKeepThePlanAndAnotherBackendReplans() {
        Random r = new Random(13);
        int cols = 512, rows = 64;
        Weight raw = KernelsTest.weight(GgmlType.Q4_K, Codecs.find(GgmlType.Q4_K), rows, cols, r);
        float[] x = KernelsTest.rnd(r, cols);
        try (Backend fast = new Backend(new ScalarKernels(), 1, cols, 1, 1, Numerics.FAST);
             Backend mainline = new Backend(new ScalarKernels(), 1, cols, 1, 1, Numerics.MAINLINE)) {
            Weight w = fast.planned(raw);
            assertSame(w.plan(), w.part(1, rows / 2).plan());
            assertSame(w.plan(), w.rows(16, 16).plan());
            float[] planned = new float[rows], unplanned = new float[rows], stale = new float[rows], own = new float[rows];
            fast.matmul(w, x, 0, cols, 1, planned, 0, rows);
            fast.matmul(raw, x, 0, cols, 1, unplanned, 0, rows);
            assertArrayEquals(unplanned, planned);
            // a weight planned for Kiln's numerics, multiplied by a mainline backend: mainline's rounding, not the stale plan's
            mainline.matmul(w, x, 0, cols, 1, stale, 0, rows);
            mainline.matmul(mainline.planned(raw), x, 0, cols, 1, own, 0, rows);
            assertArrayEquals(own, stale);
            assertFalse(Arrays.equals(planned, own), "Q8_K rounding of the activations changes the products");
        }
    }
}
