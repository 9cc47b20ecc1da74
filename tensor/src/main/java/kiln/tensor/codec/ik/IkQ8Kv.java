package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_KV (8 bpw + 8 bytes per row), ik's 8-bit type with one scale per row: {@code iqk_quantize_row_q8_KV} (its AVX2
 * path, what {@code quantize_q8_KV} runs) and {@code dequantize_row_q8_KV}. Row: d (f32) = max|x|/127, the sum of
 * the quants (i32), then one int8 per value: {@code x·(1/d)} rounded half to even ({@code _mm256_round_ps}); an
 * all-zero row is all zeros.
 */
final class IkQ8Kv extends IkBlockCodec {
    static final IkQ8Kv INSTANCE = new IkQ8Kv();

    private static final int META = 8;

    private IkQ8Kv() {
        super(GgmlType.Q8_KV);
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out) {
        float max = 0;
        for (int j = 0; j < n; j++) max = Math.max(max, Math.abs(x[xOff + j]));
        if (max == 0) return;
        float d = max / 127.f;
        putFloat(out, 0, d);
        float mul = 1 / d;
        int sum = 0;
        for (int j = 0; j < n; j++) {
            int q = Math.max(-128, Math.min(127, (int) Math.rint(mul * x[xOff + j])));
            out[META + j] = (byte) q;
            sum += q;
        }
        for (int i = 0; i < 4; i++) out[4 + i] = (byte) (sum >>> 8 * i);
    }

    /** {@code dequantize_row_q8_KV}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % 32 != 0) {
            throw new IllegalArgumentException("q8_KV works on whole rows of blocks of 32 values; got " + n);
        }
        float d = src.get(ValueLayout.JAVA_FLOAT_UNALIGNED, srcOffset);
        for (int j = 0; j < n; j++) y[yOff + j] = d * src.get(ValueLayout.JAVA_BYTE, srcOffset + META + j);
    }
}
