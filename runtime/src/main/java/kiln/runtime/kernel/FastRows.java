package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.LittleEndian;

import java.lang.foreign.MemorySegment;

/**
 * Allocation-free row dequantization straight from the mapping for the hot types (F32, F16, BF16, Q8_0, Q4_K,
 * Q6_K) and allocation-free activation rounding (BF16, F16, Q8_0, Q8_K), bit-identical to the codecs in
 * {@code kiln.tensor.codec} (tested). Other types go through their codec.
 */
final class FastRows {
    private FastRows() {}

    static boolean handles(GgmlType t) {
        return switch (t) {
            case F32, F16, BF16, Q8_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Dequantizes {@code cols} values of a row whose bytes start at {@code off} (quantized rows are staged in a per-thread buffer, allocated once). */
    static void dequantize(GgmlType t, MemorySegment s, long off, float[] y, int cols) {
        switch (t) {
            case F32 -> MemorySegment.copy(s, LittleEndian.FLOAT, off, y, 0, cols);
            case F16 -> {
                for (int i = 0; i < cols; i++) y[i] = Float.float16ToFloat(s.get(LittleEndian.SHORT, off + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < cols; i++) y[i] = Float.intBitsToFloat((s.get(LittleEndian.SHORT, off + 2L * i) & 0xFFFF) << 16);
            }
            case Q8_0, Q4_K, Q6_K -> {
                int n = (int) t.rowSize(cols);
                byte[] b = bytes(n);
                MemorySegment.copy(s, LittleEndian.BYTE, off, b, 0, n);
                switch (t) {
                    case Q8_0 -> q80(b, y, cols);
                    case Q4_K -> q4k(b, y, cols);
                    default -> q6k(b, y, cols);
                }
            }
            default -> throw new IllegalArgumentException(t.ggmlName());
        }
    }

    private static final ThreadLocal<byte[][]> ROW = ThreadLocal.withInitial(() -> new byte[][] {new byte[4096]});

    /** This thread's staging buffer for one row's bytes (grown once, then reused). */
    private static byte[] bytes(int n) {
        byte[][] h = ROW.get();
        if (h[0].length < n) h[0] = new byte[n];
        return h[0];
    }

    private static float h16(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    private static void q80(byte[] s, float[] y, int cols) {
        for (int b = 0; b < cols / 32; b++) {
            int o = 34 * b;
            float d = h16(s, o);
            for (int j = 0; j < 32; j++) y[b * 32 + j] = s[o + 2 + j] * d;
        }
    }

    private static void q4k(byte[] s, float[] y, int cols) {
        for (int b = 0; b < cols / 256; b++) {
            int o = 144 * b;
            float d = h16(s, o);
            float dmin = h16(s, o + 2);
            int sc = o + 4, qs = o + 16;
            int yb = b * 256;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
                int sc1, m1, sc2, m2;
                {
                    int k = is;
                    if (k < 4) { sc1 = u8(s, sc + k) & 63; m1 = u8(s, sc + k + 4) & 63; }
                    else { sc1 = (u8(s, sc + k + 4) & 0xF) | ((u8(s, sc + k - 4) >> 6) << 4); m1 = (u8(s, sc + k + 4) >> 4) | ((u8(s, sc + k) >> 6) << 4); }
                    k = is + 1;
                    if (k < 4) { sc2 = u8(s, sc + k) & 63; m2 = u8(s, sc + k + 4) & 63; }
                    else { sc2 = (u8(s, sc + k + 4) & 0xF) | ((u8(s, sc + k - 4) >> 6) << 4); m2 = (u8(s, sc + k + 4) >> 4) | ((u8(s, sc + k) >> 6) << 4); }
                }
                float d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
                for (int l = 0; l < 32; l++) y[yb + j + l] = d1 * (u8(s, qs + l) & 0xF) - mm1;
                for (int l = 0; l < 32; l++) y[yb + j + 32 + l] = d2 * (u8(s, qs + l) >> 4) - mm2;
                qs += 32;
            }
        }
    }

    private static void q6k(byte[] s, float[] y, int cols) {
        for (int b = 0; b < cols / 256; b++) {
            int o = 210 * b;
            float d = h16(s, o + 208);
            int ql = o, qh = o + 128, sc = o + 192;
            int yb = b * 256;
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(s, qh + l);
                    int a = u8(s, ql + l), c = u8(s, ql + l + 32);
                    int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((c & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((c >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    y[yb + n + l] = d * s[sc + is] * q1;
                    y[yb + n + l + 32] = d * s[sc + is + 2] * q2;
                    y[yb + n + l + 64] = d * s[sc + is + 4] * q3;
                    y[yb + n + l + 96] = d * s[sc + is + 6] * q4;
                }
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    private static int u8(byte[] s, int o) {
        return s[o] & 0xFF;
    }

    /** Whether {@link #round} handles this activation type. */
    static boolean rounds(GgmlType t) {
        return t == GgmlType.BF16 || t == GgmlType.F16 || t == GgmlType.Q8_0 || t == GgmlType.Q8_K;
    }

    /** x[xo..xo+n) rounded through the activation type into y[yo..]. */
    static void round(GgmlType t, float[] x, int xo, int n, float[] y, int yo) {
        switch (t) {
            case BF16 -> {
                for (int i = 0; i < n; i++) y[yo + i] = Float.intBitsToFloat((kiln.tensor.Fp16.floatToBf16(x[xo + i]) & 0xFFFF) << 16);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) y[yo + i] = Float.float16ToFloat(kiln.tensor.Fp16.floatToHalf(x[xo + i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    int xb = xo + b * 32, yb = yo + b * 32;
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xb + j]));
                    float d = amax / 127;
                    float id = d != 0 ? 1.0f / d : 0.0f;
                    float dh = Float.float16ToFloat(kiln.tensor.Fp16.floatToHalf(d));
                    for (int j = 0; j < 32; j++) y[yb + j] = (byte) (int) roundf(x[xb + j] * id) * dh;
                }
            }
            case Q8_K -> {
                for (int b = 0; b < n / 256; b++) {
                    int xb = xo + b * 256, yb = yo + b * 256;
                    float max = 0, amax = 0;
                    for (int j = 0; j < 256; j++) {
                        float ax = Math.abs(x[xb + j]);
                        if (ax > amax) {
                            amax = ax;
                            max = x[xb + j];
                        }
                    }
                    if (amax == 0) {
                        for (int j = 0; j < 256; j++) y[yb + j] = 0;
                        continue;
                    }
                    float iscale = -127.f / max;
                    float d = 1 / iscale;
                    for (int j = 0; j < 256; j++) y[yb + j] = d * (byte) Math.min(127, nearestInt(iscale * x[xb + j]));
                }
            }
            default -> throw new IllegalArgumentException(t.ggmlName());
        }
    }

    private static float roundf(float v) {
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    private static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }
}
