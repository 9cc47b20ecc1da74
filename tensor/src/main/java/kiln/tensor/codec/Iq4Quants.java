package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.GROUP_MAX_EPS;
import static kiln.tensor.codec.QuantMath.KVALUES_IQ4NL;
import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.QuantMath.bestIndex;
import static kiln.tensor.codec.QuantMath.nearestInt;

/**
 * The non-linear 4-bit types IQ4_NL and IQ4_XS (spec §3.5). Both quantize with ggml's
 * {@code quantize_row_iq4_nl_impl} and {@code ntry = 7} — for IQ4_NL that is {@code quantize_iq4_nl}, which
 * llama-quantize runs with or without an imatrix (weights x² without), not {@code quantize_row_iq4_nl_ref}
 * (ntry = -1, nondeterministic on all-zero blocks). Dequantization is {@code dequantize_row_iq4_{nl,xs}}.
 */
public final class Iq4Quants {
    private Iq4Quants() {}

    static final BlockCodec IQ4_NL = new Iq4Nl();
    static final BlockCodec IQ4_XS = new Iq4Xs();

    /** The trial count llama-quantize uses for both IQ4 types. */
    public static final int NTRY = 7;

    private static final float[] KVALUES_IQ4NL_F = QuantMath.widen(KVALUES_IQ4NL);

    /**
     * {@code quantize_row_iq4_nl_impl} for one super-block of {@code superBlockSize} values in 32-blocks (§3.5).
     * For super-blocks of more than one block the IQ4_XS scale fields are written at {@code scalesHOff}
     * (a u16) and {@code scalesLOff} (nb/2 bytes); for a single block they are unused.
     *
     * @param qw   importance weights from {@code qwOff}, or null (then the weights are x²)
     * @param L    scratch of superBlockSize bytes; {@code scales} of nb floats; {@code weight} of 32 floats
     */
    public static void quantizeImpl(int superBlockSize, float[] x, int xOff, byte[] out, int dOff, int q4Off,
                             int scalesHOff, int scalesLOff, float[] scales, float[] weight, byte[] L,
                             byte[] values, float[] qw, int qwOff, int ntry) {
        final int blockSize = 32;
        final float[] fvalues = values == KVALUES_IQ4NL ? KVALUES_IQ4NL_F : QuantMath.widen(values);
        float sigma2 = BlockCodec.sumSquares(x, xOff, superBlockSize);
        sigma2 *= 2.f / superBlockSize;
        for (int k = 0; k < superBlockSize / 2; k++) out[q4Off + k] = 0;
        BlockCodec.putHalf(out, dOff, 0.f);

        int nb = superBlockSize / blockSize;
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < nb; ++ib) {
            int xb = xOff + ib * blockSize, lb = ib * blockSize;
            if (qw != null) {
                for (int j = 0; j < blockSize; ++j) {
                    float xv = x[xb + j];
                    weight[j] = qw[qwOff + ib * blockSize + j] * (float) Math.sqrt(sigma2 + xv * xv);
                }
            } else {
                for (int j = 0; j < blockSize; ++j) weight[j] = x[xb + j] * x[xb + j];
            }
            float amax = 0, max = 0;
            for (int j = 0; j < blockSize; ++j) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) { amax = ax; max = x[xb + j]; }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = ntry > 0 ? -max / values[0] : max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < blockSize; ++j) {
                float xv = x[xb + j];
                int l = bestIndex(fvalues, id * xv);
                L[lb + j] = (byte) l;
                float q = fvalues[l];
                float w = weight[j];
                sumqx += w * q * xv;
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                id = (itry + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < blockSize; ++j) {
                    float xv = x[xb + j];
                    int l = bestIndex(fvalues, id * xv);
                    float q = fvalues[l];
                    float w = weight[j];
                    sumqx += w * q * xv;
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) { amaxScale = absD; maxScale = d; }
        }

        if (nb > 1) {
            int scalesH = 0;
            float d = -maxScale / 32;
            BlockCodec.putHalf(out, dOff, d);
            float id = d != 0 ? 1 / d : 0.f;
            for (int ib = 0; ib < nb; ++ib) {
                int l = nearestInt(id * scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xb = xOff + ib * blockSize, lb = ib * blockSize;
                for (int j = 0; j < blockSize; ++j) L[lb + j] = (byte) bestIndex(fvalues, idl * x[xb + j]);
                l += 32;
                int lLow = l & 0xf, lHigh = l >> 4;
                if (ib % 2 == 0) out[scalesLOff + ib / 2] = (byte) lLow;
                else out[scalesLOff + ib / 2] |= (byte) (lLow << 4);
                scalesH |= lHigh << (2 * (ib % 8));
            }
            BlockCodec.put16(out, scalesHOff, scalesH);
        } else {
            BlockCodec.putHalf(out, dOff, scales[0]);
            if (ntry > 0) {
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superBlockSize; ++j) L[j] = (byte) bestIndex(fvalues, id * x[xOff + j]);
            }
        }

        for (int i = 0; i < superBlockSize / 32; ++i) {
            for (int j = 0; j < 16; ++j) {
                out[q4Off + 16 * i + j] = (byte) ((L[32 * i + j] & 0xFF) | ((L[32 * i + 16 + j] & 0xFF) << 4));
            }
        }
    }

    /** Dequantizes 32 values of 4-bit table indices at {@code qsOff} with block scale {@code dl}. */
    private static void dequant32(byte[] in, int qsOff, float dl, float[] y, int yb) {
        for (int j = 0; j < 16; ++j) {
            int q = in[qsOff + j] & 0xFF;
            y[yb + j] = dl * KVALUES_IQ4NL[q & 0xf];
            y[yb + j + 16] = dl * KVALUES_IQ4NL[q >> 4];
        }
    }

    private static final class Iq4Nl extends BlockCodec {
        Iq4Nl() { super(GgmlType.IQ4_NL); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            byte[] L = new byte[32];
            float[] scales = new float[1], weight = new float[32];
            for (int ib = 0; ib < n / 32; ++ib) {
                int o = ib * 18;
                quantizeImpl(32, x, xOff + ib * 32, out, o, o + 2, -1, -1, scales, weight, L, KVALUES_IQ4NL,
                        qw, ib * 32, NTRY);
            }
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / 32; ++ib) dequant32(in, ib * 18 + 2, half(in, ib * 18), y, yOff + ib * 32);
        }
    }

    private static final class Iq4Xs extends BlockCodec {
        private static final int D = 0, SCALES_H = 2, SCALES_L = 4, QS = 8, SIZE = 136;

        Iq4Xs() { super(GgmlType.IQ4_XS); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            byte[] L = new byte[QK_K];
            float[] scales = new float[QK_K / 32], weight = new float[32];
            for (int ibl = 0; ibl < n / QK_K; ++ibl) {
                int o = ibl * SIZE;
                quantizeImpl(QK_K, x, xOff + ibl * QK_K, out, o + D, o + QS, o + SCALES_H, o + SCALES_L, scales,
                        weight, L, KVALUES_IQ4NL, qw, ibl * QK_K, NTRY);
            }
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int i = 0; i < n / QK_K; ++i) {
                int o = i * SIZE;
                float d = half(in, o + D);
                int scalesH = u16(in, o + SCALES_H);
                for (int ib = 0; ib < QK_K / 32; ++ib) {
                    int ls = (((in[o + SCALES_L + ib / 2] & 0xFF) >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
                    float dl = d * (ls - 32);
                    dequant32(in, o + QS + 16 * ib, dl, y, yOff + i * QK_K + 32 * ib);
                }
            }
        }
    }
}
