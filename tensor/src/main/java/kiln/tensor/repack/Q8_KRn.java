package kiln.tensor.repack;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;

/**
 * Q8_K → Q8_K_R8 / Q8_K_R16 ({@code repack_q8_k}, {@code repack_q16_k}): {@code {fp16 d[n]; i8 qs[256·n]}} with
 * {@code qs[4n·ib + 4k + i] = row_k.qs[4ib + i]}. The base rows use the {@link GgmlType#Q8_K} layout of Kiln's type
 * table ({@code float d; i8 qs[256]; i16 bsums[16]}, 292 bytes). Repacking rounds d to fp16 and drops the sums, so
 * {@link #unpack} gives {@code d} rounded and recomputed {@code bsums} — Q8_K never occurs in GGUF files, and this
 * direction exists for completeness only.
 *
 * <p>For R16, {@code unsignedQuants} selects the form ik writes on AVX512 ("HAVE_FANCY_SIMD") builds, where every quant
 * byte is XORed with 0x80; ik's reference dequantizer assumes that form.
 */
final class Q8_KRn extends BlockInterleaver {
    private final int n;
    private final int xor;

    Q8_KRn(GgmlType packed, boolean unsignedQuants) {
        super(packed, GgmlType.Q8_K, 256, 292, packed.interleave() * 258);
        this.n = packed.interleave();
        this.xor = unsignedQuants ? 0x80 : 0;
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        int q0 = yo + 2 * n;
        for (int k = 0; k < n; k++) {
            int r = xo + k * xs;
            float d = Float.intBitsToFloat(u8(x, r) | u8(x, r + 1) << 8 | u8(x, r + 2) << 16 | u8(x, r + 3) << 24);
            short h = Fp16.floatToHalf(d);
            y[yo + 2 * k] = (byte) h;
            y[yo + 2 * k + 1] = (byte) (h >> 8);
            for (int ib = 0; ib < 64; ib++) {
                for (int i = 0; i < 4; i++) y[q0 + 4 * n * ib + 4 * k + i] = (byte) (x[r + 4 + 4 * ib + i] ^ xor);
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        int q0 = yo + 2 * n;
        for (int k = 0; k < n; k++) {
            int r = xo + k * xs;
            int bits = Float.floatToRawIntBits(f16(y, yo + 2 * k));
            for (int b = 0; b < 4; b++) x[r + b] = (byte) (bits >>> 8 * b);
            for (int ib = 0; ib < 64; ib++) {
                for (int i = 0; i < 4; i++) x[r + 4 + 4 * ib + i] = (byte) (y[q0 + 4 * n * ib + 4 * k + i] ^ xor);
            }
            for (int j = 0; j < 16; j++) {
                int s = 0;
                for (int l = 0; l < 16; l++) s += x[r + 4 + 16 * j + l];
                x[r + 260 + 2 * j] = (byte) s;
                x[r + 261 + 2 * j] = (byte) (s >> 8);
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        int q0 = yo + 2 * n;
        for (int k = 0; k < n; k++) {
            float d = f16(y, yo + 2 * k);
            int o = oo + k * os;
            for (int ib = 0; ib < 64; ib++) {
                for (int i = 0; i < 4; i++) out[o + 4 * ib + i] = d * (byte) (y[q0 + 4 * n * ib + 4 * k + i] ^ xor);
            }
        }
    }
}
