package kiln.tensor.codec;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.cTruncToInt;
import static kiln.tensor.codec.QuantMath.makeQkx3Quants;
import static kiln.tensor.codec.QuantMath.makeQxQuants;

/**
 * The legacy 32-element types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (spec §3.3): {@code quantize_row_*_ref} without
 * weights, {@code quantize_row_*_impl} with them (Q8_0 ignores weights, as ggml does), and {@code dequantize_row_*}.
 */
final class LegacyQuants {
    private LegacyQuants() {}

    static final int QK = 32;

    static final BlockCodec Q4_0 = new Q4_0();
    static final BlockCodec Q4_1 = new Q4_1();
    static final BlockCodec Q5_0 = new Q5_0();
    static final BlockCodec Q5_1 = new Q5_1();
    static final BlockCodec Q8_0 = new Q8_0();

    /** sigma2 = Σx²/n_per_row of the whole row, as the legacy {@code _impl} quantizers take it. */
    private static float rowSigma2(float[] x, int off, int n) {
        return BlockCodec.sumSquares(x, off, n) / n;
    }

    /** weight[j] = qw[j]·sqrtf(sigma2 + x[j]²) for one 32-block (legacy {@code _impl}). */
    private static void blockWeights(float[] x, int xOff, float[] qw, int qwOff, float sigma2, float[] weight) {
        for (int j = 0; j < QK; ++j) {
            float xj = x[xOff + j];
            weight[j] = qw[qwOff + j] * (float) Math.sqrt(sigma2 + xj * xj);
        }
    }

    /** Packs two 4-bit levels per byte: qs[j] = L[j] | L[j+16] << 4. */
    private static void packNibbles(byte[] L, byte[] out, int qsOff) {
        for (int j = 0; j < 16; ++j) out[qsOff + j] = (byte) ((L[j] & 0xFF) | ((L[j + 16] & 0xFF) << 4));
    }

    /** Packs 5-bit levels: low nibbles as {@link #packNibbles}, the fifth bits into the 32-bit qh at qhOff. */
    private static void pack5(byte[] L, byte[] out, int qhOff, int qsOff) {
        int qh = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = L[j] & 0xFF, xi1 = L[j + 16] & 0xFF;
            out[qsOff + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        BlockCodec.put32(out, qhOff, qh);
    }

    /** The 5-bit level of element j (0..31) of a Q5_0/Q5_1 block. */
    private static int level5(byte[] in, int qhOff, int qsOff, int j) {
        int qh = BlockCodec.i32(in, qhOff);
        int q = in[qsOff + (j & 15)] & 0xFF;
        if (j < 16) return (q & 0x0F) | (((qh >>> j) << 4) & 0x10);
        return (q >> 4) | ((qh >>> (j - 16 + 12)) & 0x10);
    }

    /** Packs the levels of one block whose scale is at byte {@code o}. */
    private interface BlockPacker {
        void pack(byte[] levels, int o);
    }

    // ------------------------------------------------------------------------------------------------ Q4_0

    /**
     * The scale step Q4_0 and Q5_0 share, for levels in [0, 2·half): with weights, {@code quantize_row_q{4,5}_0_impl}
     * (make_qx_quants with nmax = half); without, the ref functions' d = signed absmax / −half, level =
     * MIN(2·half − 1, (int8_t)(x·id + half + 0.5)).
     */
    private static void quantizeSymmetric(float[] x, int xOff, int n, float[] qw, byte[] out, int blockBytes, int half,
                                          BlockPacker packer) {
        byte[] L = new byte[QK];
        float[] weight = new float[QK];
        float sigma2 = qw != null ? rowSigma2(x, xOff, n) : 0;
        float offset = half + 0.5f;
        int maxLevel = 2 * half - 1;
        for (int ib = 0; ib < n / QK; ++ib) {
            int xb = xOff + ib * QK, o = ib * blockBytes;
            if (qw != null) {
                blockWeights(x, xb, qw, ib * QK, sigma2, weight);
                BlockCodec.putHalf(out, o, makeQxQuants(QK, half, x, xb, L, 0, 1, weight, 0));
            } else {
                float d = BlockCodec.signedAbsMax(x, xb, QK) / -half;
                float id = d != 0 ? 1.0f / d : 0.0f;
                BlockCodec.putHalf(out, o, d);
                for (int j = 0; j < QK; ++j) {
                    L[j] = (byte) Math.min(maxLevel, (byte) cTruncToInt(x[xb + j] * id + offset));
                }
            }
            packer.pack(L, o);
        }
    }

    private static final class Q4_0 extends BlockCodec {
        Q4_0() { super(GgmlType.Q4_0); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            quantizeSymmetric(x, xOff, n, qw, out, 18, 8, (L, o) -> packNibbles(L, out, o + 2));
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / QK; ++ib) {
                int o = ib * 18, yb = yOff + ib * QK;
                float d = half(in, o);
                for (int j = 0; j < 16; ++j) {
                    int q = in[o + 2 + j] & 0xFF;
                    y[yb + j] = ((q & 0x0F) - 8) * d;
                    y[yb + j + 16] = ((q >> 4) - 8) * d;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ Q4_1

    /**
     * The scale-and-minimum step Q4_1 and Q5_1 share: with weights, {@code quantize_row_q{4,5}_1_impl}
     * (make_qkx3_quants, m = −min); without, the ref functions' min/max levels. Q4_1's ref clamps a level to 15
     * after the {@code (int8_t)} cast, Q5_1's does not (ggml-quants.c).
     */
    private static void quantizeWithMin(float[] x, int xOff, int n, float[] qw, byte[] out, int blockBytes, int nmax,
                                        BlockPacker packer) {
        byte[] L = new byte[QK], lAux = new byte[QK];
        float[] weight = new float[QK], min = new float[1];
        float sigma2 = qw != null ? rowSigma2(x, xOff, n) : 0;
        for (int ib = 0; ib < n / QK; ++ib) {
            int xb = xOff + ib * QK, o = ib * blockBytes;
            if (qw != null) {
                blockWeights(x, xb, qw, ib * QK, sigma2, weight);
                float d = makeQkx3Quants(QK, nmax, x, xb, weight, 0, L, 0, min, 0, lAux, -0.9f, 0.05f, 36, false);
                BlockCodec.putHalf(out, o, d);
                BlockCodec.putHalf(out, o + 2, -min[0]);
            } else {
                float mn = Float.MAX_VALUE, mx = -Float.MAX_VALUE;
                for (int j = 0; j < QK; ++j) {
                    float v = x[xb + j];
                    if (v < mn) mn = v;
                    if (v > mx) mx = v;
                }
                float d = (mx - mn) / nmax;
                float id = d != 0 ? 1.0f / d : 0.0f;
                BlockCodec.putHalf(out, o, d);
                BlockCodec.putHalf(out, o + 2, mn);
                for (int j = 0; j < QK; ++j) {
                    byte l = (byte) cTruncToInt((x[xb + j] - mn) * id + 0.5f);
                    L[j] = nmax == 15 ? (byte) Math.min(15, l) : l;
                }
            }
            packer.pack(L, o);
        }
    }

    private static final class Q4_1 extends BlockCodec {
        Q4_1() { super(GgmlType.Q4_1); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            quantizeWithMin(x, xOff, n, qw, out, 20, 15, (L, o) -> packNibbles(L, out, o + 4));
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / QK; ++ib) {
                int o = ib * 20, yb = yOff + ib * QK;
                float d = half(in, o), m = half(in, o + 2);
                for (int j = 0; j < 16; ++j) {
                    int q = in[o + 4 + j] & 0xFF;
                    y[yb + j] = (q & 0x0F) * d + m;
                    y[yb + j + 16] = (q >> 4) * d + m;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ Q5_0

    private static final class Q5_0 extends BlockCodec {
        Q5_0() { super(GgmlType.Q5_0); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            quantizeSymmetric(x, xOff, n, qw, out, 22, 16, (L, o) -> pack5(L, out, o + 2, o + 6));
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / QK; ++ib) {
                int o = ib * 22, yb = yOff + ib * QK;
                float d = half(in, o);
                for (int j = 0; j < QK; ++j) y[yb + j] = (level5(in, o + 2, o + 6, j) - 16) * d;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ Q5_1

    private static final class Q5_1 extends BlockCodec {
        Q5_1() { super(GgmlType.Q5_1); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            quantizeWithMin(x, xOff, n, qw, out, 24, 31, (L, o) -> pack5(L, out, o + 4, o + 8));
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / QK; ++ib) {
                int o = ib * 24, yb = yOff + ib * QK;
                float d = half(in, o), m = half(in, o + 2);
                for (int j = 0; j < QK; ++j) y[yb + j] = level5(in, o + 4, o + 8, j) * d + m;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ Q8_0

    /**
     * {@code (int) roundf(v)} for |v| below 2^23 (Q8_0's |x|·127/amax ≤ 127): the truncation plus one when the
     * fraction, exact as {@code a − trunc(a)}, is at least ½; branch-free so the JIT can vectorize the block loop.
     */
    static int roundHalfAway(float v) {
        float a = Math.abs(v);
        int t = (int) a;
        t += a - t >= 0.5f ? 1 : 0;
        return v < 0 ? -t : t;
    }

    private static final class Q8_0 extends BlockCodec {
        Q8_0() { super(GgmlType.Q8_0); }

        @Override
        protected void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
            // ggml ignores the imatrix for Q8_0 (quantize_q8_0 always runs the reference)
            for (int ib = 0; ib < n / QK; ++ib) {
                int xb = xOff + ib * QK, o = ib * 34;
                float amax = 0;
                for (int j = 0; j < QK; ++j) {
                    float a = Math.abs(x[xb + j]);
                    amax = amax > a ? amax : a;
                }
                float d = amax / 127;
                float id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(out, o, d);
                for (int j = 0; j < QK; ++j) out[o + 2 + j] = (byte) roundHalfAway(x[xb + j] * id);
            }
        }

        @Override
        protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
            for (int ib = 0; ib < n / QK; ++ib) {
                int o = ib * 34, yb = yOff + ib * QK;
                float d = half(in, o);
                for (int j = 0; j < QK; ++j) y[yb + j] = in[o + 2 + j] * d;
            }
        }
    }
}
