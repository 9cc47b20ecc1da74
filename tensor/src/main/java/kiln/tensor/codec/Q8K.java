package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.nearestInt;

/**
 * Q8_K, the activation type of the k-quant dot products (spec §3.6): {@code quantize_row_q8_K_ref} — which is what
 * x86-64 ggml-cpu's {@code quantize_row_q8_K} calls — and {@code dequantize_row_q8_K}. Block: d (float32), qs[256]
 * (int8), bsums[16] (int16, sums of 16 consecutive qs). Weights are ignored.
 *
 * <p>One deliberate difference: for an all-zero block ggml writes d = 0 and qs = 0 but leaves bsums untouched
 * (whatever the buffer held); Kiln writes zero bsums, which is what every consumer expects of an empty block.
 */
final class Q8K extends BlockCodec {
    static final Q8K INSTANCE = new Q8K();

    private static final int D = 0, QS = 4, BSUMS = 260, SIZE = 292;

    private Q8K() {
        super(GgmlType.Q8_K);
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        for (int i = 0; i < n / QK_K; i++) {
            int xb = xOff + i * QK_K, o = i * SIZE;
            float max = 0, amax = 0;
            for (int j = 0; j < QK_K; ++j) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) { amax = ax; max = x[xb + j]; }
            }
            if (amax == 0) {
                for (int k = 0; k < SIZE; k++) out[o + k] = 0;
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < QK_K; ++j) out[o + QS + j] = (byte) Math.min(127, nearestInt(iscale * x[xb + j]));
            for (int j = 0; j < 16; ++j) {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii) sum += out[o + QS + 16 * j + ii];
                put16(out, o + BSUMS + 2 * j, sum);
            }
            put32(out, o + D, Float.floatToRawIntBits(1 / iscale));
        }
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        for (int i = 0; i < n / QK_K; i++) {
            int o = i * SIZE, yb = yOff + i * QK_K;
            float d = Float.intBitsToFloat(i32(in, o + D));
            for (int j = 0; j < QK_K; ++j) y[yb + j] = d * in[o + QS + j];
        }
    }
}
