package kiln.runtime.kernel;

/**
 * The element functions of the reference builds (x86-64, AVX-512, glibc), step for step, so that Kiln's
 * activations are the reference tool's bit for bit: ggml's vectorised exp ({@code ggml_v_expf}, ARM's
 * optimized-routines polynomial, ≤ 1.95 ulp from exp) in its AVX-512 and AVX2 forms and what is built on it
 * (SiLU, SwiGLU, ik's router sigmoid), and glibc's {@code expf} and {@code sincosf}, which are not correctly
 * rounded (they differ from {@code (float) Math.exp}/{@code sin}/{@code cos} in about 1 of 2,000 and 1 of 40
 * arguments). In SIMD loops whole 16-lane blocks take the vector form and a row's leftovers the scalar libm form,
 * as ggml does.
 */
public final class GgmlMath {
    private GgmlMath() {}

    private static final float R = 0x1.8p23f, LOG2E = 0x1.715476p+0f, LN2_HI = 0x1.62e4p-1f, LN2_LO = 0x1.7f7d1cp-20f;
    private static final float C5 = 0x1.0e4020p-7f, C4 = 0x1.573e2ep-5f, C3 = 0x1.555e66p-3f, C2 = 0x1.fffdb6p-2f, C1 = 0x1.ffffecp-1f;

    /** One lane of ggml_v_expf (AVX-512 form). */
    public static float vExpf(float x) {
        float z = Math.fma(x, LOG2E, R);
        float n = z - R;
        float b = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        if (Math.abs(n) > 192f) return n <= 0f ? 0f : Float.POSITIVE_INFINITY;
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(C5, b, C4), u, Math.fma(C3, b, C2)), u, Math.fma(C1, b, 1.0f));
        return Math.scalb(j, (int) n);
    }

    /**
     * expf as glibc computes it on x86-64 with FMA (the reference builds' C library): x·32/ln2 split into k + r,
     * 2^(k/32) from a table, a cubic in r with fused multiply-adds, all in double, rounded once to float. Differs
     * from the correctly rounded exp in about 1 of 2000 arguments; those differences are what this reproduces.
     */
    public static float expf(float x) {
        if (Float.isNaN(x)) return x;
        if (x > 0x1.62e42ep6f) return Float.POSITIVE_INFINITY;
        if (x < -0x1.9fe368p6f) return 0f;
        double z = INV_LN2_N * x;
        double kd = z + SHIFT;
        long ki = Double.doubleToRawLongBits(kd);
        kd -= SHIFT;
        double r = z - kd;
        long t = EXP2_TAB[(int) (ki & 31)] + (ki << 47);
        double s = Double.longBitsToDouble(t);
        double p = Math.fma(P0, r, P1);
        double r2 = r * r;
        double y = Math.fma(P2, r, 1.0);
        y = Math.fma(p, r2, y);
        return (float) (y * s);
    }

    private static final double INV_LN2_N = 0x1.71547652b82fep+0 * 32, SHIFT = 0x1.8p+52;
    private static final double P0 = 0x1.c6af84b912394p-5 / (32.0 * 32 * 32), P1 = 0x1.ebfce50fac4f3p-3 / (32.0 * 32), P2 = 0x1.62e42ff0c52d6p-1 / 32;
    /** bits of 2^(i/32), less i/32 in the exponent field (so adding k<<47 scales by 2^(k/32) exactly). */
    private static final long[] EXP2_TAB = new long[32];

    static {
        java.math.MathContext mc = new java.math.MathContext(60);
        java.math.BigDecimal root = new java.math.BigDecimal(2);
        for (int i = 0; i < 5; i++) root = root.sqrt(mc);
        java.math.BigDecimal v = java.math.BigDecimal.ONE;
        for (int i = 0; i < 32; i++) {
            EXP2_TAB[i] = Double.doubleToRawLongBits(v.doubleValue()) - ((long) i << 52) / 32;
            v = v.multiply(root, mc);
        }
    }

    /**
     * One lane of the AVX2 form of v_expf (ik's iqk_utils.h, used where fewer than 16 values are at hand, e.g. ik's
     * router sigmoid over 8 experts): 2^n built in the exponent bits and applied with an FMA, not scalef.
     */
    public static float vExpf256(float x) {
        float z = Math.fma(x, LOG2E, R);
        float n = z - R;
        float b = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + 0x3F800000);
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(C5, b, C4), u, Math.fma(C3, b, C2)), u, C1 * b);
        if (Math.abs(n) <= 126f) return Math.fma(j, k, k);
        int g = n <= 0f ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7F000000), s2 = Float.intBitsToFloat(e - g);
        if (Math.abs(n) > 192f) return s1 * s1;
        return Math.fma(s2, j, s2) * s1;
    }

    /** ik's router sigmoid (AVX2 lanes): 1 / (1 + v_expf256(0 − x)). */
    public static float sigmoid256(float x) {
        return 1.0f / (1.0f + vExpf256(0f - x));
    }

    /**
     * sin and cos as glibc's sincosf computes them on x86-64 with FMA (ggml's RoPE tables): below π/4 a polynomial
     * in double; up to 120 the argument reduced by the nearest multiple of π/2 and the quadrant's polynomial;
     * larger arguments (never RoPE angles here) fall back to the correctly rounded values. Writes {sin, cos}.
     */
    public static void sincosf(float y, float[] sc, int o) {
        double x = y;
        float ay = Math.abs(y);
        if (ay < 0x1.921fb6p-1f) {
            if (ay < 0x1p-12f) {
                sc[o] = y;
                sc[o + 1] = 1.0f;
                return;
            }
            sincosPoly(x, x * x, false, 0, sc, o);
        } else if (ay < 120f) {
            double r = x * HPI_INV;
            int n = (((int) r) + 0x800000) >> 24;
            x = Math.fma(-n, HPI, x);
            double sgn = (n & 3) == 1 || (n & 3) == 2 ? -1.0 : 1.0;
            sincosPoly(x * sgn, x * x, (n & 2) != 0, n, sc, o);
        } else if (Float.isFinite(y)) {
            int xi = Float.floatToRawIntBits(y), sign = xi >>> 31;
            int[] n = new int[1];
            x = reduceLarge(xi, n);
            int q = n[0] + sign;
            double sgn = (q & 3) == 1 || (q & 3) == 2 ? -1.0 : 1.0;
            sincosPoly(x * sgn, x * x, (q & 2) != 0, n[0], sc, o);
        } else {
            sc[o] = Float.NaN;
            sc[o + 1] = Float.NaN;
        }
    }

    /** 4/π as bytes (192 bits), the source of glibc's 32-bit windows __inv_pio4. */
    private static final int[] INV_PIO4 = new int[24];

    static {
        String hex = "A2F9836E4E441529FC2757D1F534DDC0DB6295993C439041";
        for (int i = 0; i < 24; i++) {
            long w = 0;
            for (int b = i - 3; b <= i; b++) w = (w << 8) | (b < 0 ? 0 : Integer.parseInt(hex.substring(2 * b, 2 * b + 2), 16));
            INV_PIO4[i] = (int) w;
        }
    }

    /** glibc's reduce_large: the argument modulo π/2 by a 32×96-bit fixed-point product with 4/π; quadrant in n[0]. */
    private static double reduceLarge(int xi, int[] n) {
        int a = (xi >>> 26) & 15, shift = (xi >>> 23) & 7;
        long x = (((xi & 0xffffff) | 0x800000) << shift) & 0xFFFFFFFFL;
        long res0 = (x * (INV_PIO4[a] & 0xFFFFFFFFL)) & 0xFFFFFFFFL;
        long res1 = x * (INV_PIO4[a + 4] & 0xFFFFFFFFL);
        long res2 = x * (INV_PIO4[a + 8] & 0xFFFFFFFFL);
        res0 = (res2 >>> 32) | (res0 << 32);
        res0 += res1;
        long q = (res0 + (1L << 61)) >>> 62;
        res0 -= q << 62;
        n[0] = (int) q;
        return (double) res0 * 0x1.921FB54442D18p-62;
    }

    private static final double HPI_INV = 0x1.45F306DC9C883p+23, HPI = 0x1.921FB54442D18p0;
    private static final double S1 = -0x1.555545995a603p-3, S2 = 0x1.1107605230bc4p-7, S3 = -0x1.994eb3774cf24p-13;
    private static final double[] COS0 = {0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16};

    private static void sincosPoly(double x, double x2, boolean negCos, int n, float[] sc, int o) {
        double sg = negCos ? -1.0 : 1.0;
        double c0 = sg * COS0[0], c1 = sg * COS0[1], c2 = sg * COS0[2], c3 = sg * COS0[3], c4 = sg * COS0[4];
        double x4 = x2 * x2, x3 = x2 * x;
        double cc2 = Math.fma(x2, c4, c3);
        double ss1 = Math.fma(x2, S3, S2);
        double cc1 = Math.fma(x2, c1, c0);
        double x5 = x3 * x2, x6 = x4 * x2;
        double s = Math.fma(x3, S1, x);
        double c = Math.fma(x4, c2, cc1);
        float sinv = (float) Math.fma(x5, ss1, s), cosv = (float) Math.fma(x6, cc2, c);
        if ((n & 1) != 0) {
            sc[o] = cosv;
            sc[o + 1] = sinv;
        } else {
            sc[o] = sinv;
            sc[o + 1] = cosv;
        }
    }

    /** ggml_v_silu lane: x / (1 + v_expf(0 − x)). */
    public static float vSilu(float x) {
        return x / (1.0f + vExpf(0f - x));
    }

    /** ggml_silu_f32 (scalar leftovers): x / (1 + expf(−x)). */
    public static float silu(float x) {
        return x / (1.0f + expf(-x));
    }

    /** ggml_vec_swiglu_f32 over a row of n: y = silu(g)·u, in place in g[go..go+n). */
    public static void swiglu(float[] g, int go, float[] u, int uo, int n) {
        int full = n & ~15;
        for (int i = 0; i < full; i++) g[go + i] = vSilu(g[go + i]) * u[uo + i];
        for (int i = full; i < n; i++) g[go + i] = silu(g[go + i]) * u[uo + i];
    }

    /** ggml_vec_sigmoid_f32 lane: 1 / (1 + expf(−x)) in float. */
    public static float sigmoid(float x) {
        return 1.0f / (1.0f + expf(-x));
    }
}
