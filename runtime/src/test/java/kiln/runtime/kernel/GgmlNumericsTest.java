package kiln.runtime.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ggml emulation's building blocks. Their bit-exactness is checked end to end by the fixture logits
 * ({@code AgreementTest.mainlineNumericsReproduceLlamaCpp}); here: the stated accuracy of v_expf, its range
 * limits, and that the summation orders are the documented ones (they differ from a sequential sum).
 */
class GgmlNumericsTest {

    @Test
    void vExpfIsWithinTwoUlpsOfExp() {
        SplittableRandom r = new SplittableRandom(1);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (r.nextDouble() * 170 - 85);
            double exact = Math.exp(x);
            double ulps = Math.abs(GgmlMath.vExpf(x) - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
        }
        // ggml documents 1.45 ulp + 0.5 for the final rounding; against the double exp this measures 2.19
        // (the emulation was checked bit for bit against the AVX-512 intrinsics over 272,000 arguments)
        assertTrue(worst <= 2.5, "measured " + worst);
        assertTrue(worst > 0.5, "an approximation, not the correctly rounded exp: " + worst);
    }

    @Test
    void vExpfFlushesOutOfRange() {
        assertEquals(0f, GgmlMath.vExpf(Float.NEGATIVE_INFINITY));
        assertEquals(0f, GgmlMath.vExpf(-200f));
        assertEquals(Float.POSITIVE_INFINITY, GgmlMath.vExpf(200f));
        assertEquals(1f, GgmlMath.vExpf(0f));
    }

    @Test
    void swigluUsesVectorExpForWholeBlocksAndLibmForTheRest() {
        float[] g = new float[20], u = new float[20];
        for (int i = 0; i < 20; i++) {
            g[i] = -3f + 0.37f * i;
            u[i] = 1f;
        }
        float[] y = g.clone();
        GgmlMath.swiglu(y, 0, u, 0, 20);
        for (int i = 0; i < 16; i++) assertEquals(GgmlMath.vSilu(g[i]), y[i], "lane " + i);
        for (int i = 16; i < 20; i++) assertEquals(GgmlMath.silu(g[i]), y[i], "leftover " + i);
    }

    /** Values whose float sum depends on the order: the lane structure must be the one ggml uses. */
    @Test
    void dotOrdersAreTheKernelsNotSequential() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 256, differsGemm = 0, differsVec = 0;
        for (int trial = 0; trial < 50; trial++) {
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = bf16((float) (r.nextGaussian() * Math.pow(2, r.nextInt(12))));
                b[i] = bf16((float) r.nextGaussian());
            }
            float seq = 0;
            for (int i = 0; i < n; i++) seq += a[i] * b[i];
            float gemm = GgmlDots.bf16Gemm(a, 0, b, 0, n), vec = GgmlDots.bf16Vec(a, 0, b, 0, n);
            // tinyBLAS lane l of 16 owns values 32k+2l and 32k+2l+1, the odd one added first
            float[] lanes = new float[16];
            for (int k = 0; k < n; k += 32) {
                for (int l = 0; l < 16; l++) {
                    lanes[l] += a[k + 2 * l + 1] * b[k + 2 * l + 1];
                    lanes[l] += a[k + 2 * l] * b[k + 2 * l];
                }
            }
            float[] h8 = new float[8];
            for (int l = 0; l < 8; l++) h8[l] = lanes[l + 8] + lanes[l];
            float[] h4 = new float[4];
            for (int l = 0; l < 4; l++) h4[l] = h8[l + 4] + h8[l];
            assertEquals((h4[0] + h4[2]) + (h4[1] + h4[3]), gemm, 0f);
            if (gemm != seq) differsGemm++;
            if (vec != gemm) differsVec++;
        }
        assertTrue(differsGemm > 10, "the order matters for these values: " + differsGemm);
        assertTrue(differsVec > 10, "ggml_vec_dot_bf16 (two accumulators over 64) is another order: " + differsVec);
    }

    /** The vectorised forms (weights from the mapping, split activations) are the scalar reference forms, bit for bit. */
    @Test
    void splitFormsAreTheReferenceForms() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {32, 64, 96, 256, 288, 512}) {
            for (int trial = 0; trial < 40; trial++) {
                float[] a = new float[n], b = new float[n], as = new float[n], bs = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = bf16((float) (r.nextGaussian() * Math.pow(2, r.nextInt(10))));
                    b[i] = bf16((float) r.nextGaussian());
                }
                GgmlDots.splitPairs(a, 0, as, 0, n);
                GgmlDots.splitPairs(b, 0, bs, 0, n);
                if (GgmlDots.VECTOR) {
                    java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new short[n]);
                    for (int i = 0; i < n; i++) seg.set(kiln.tensor.LittleEndian.SHORT, 2L * i, (short) (Float.floatToRawIntBits(a[i]) >>> 16));
                    assertEquals(GgmlDots.bf16Gemm(a, 0, b, 0, n), GgmlDots.bf16GemmRow(seg, 0, bs, 0, n), 0f, "gemm row n=" + n);
                    assertEquals(GgmlDots.bf16Vec(a, 0, b, 0, n), GgmlDots.bf16VecRow(seg, 0, bs, 0, b, 0, n), 0f, "vec row n=" + n);
                }
            }
        }
    }

    private static float bf16(float f) {
        int b = Float.floatToRawIntBits(f);
        b += 0x7FFF + ((b >>> 16) & 1);
        return Float.intBitsToFloat(b & 0xFFFF0000);
    }
}
