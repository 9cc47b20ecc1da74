package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static kiln.tensor.codec.QuantMath.QK_K;
import static kiln.tensor.codec.ik.FusedMath.nearestIntFma;

/**
 * IQ4_KSS (4.0 bpw), an ik-only type with one f32 scale per row: {@code quantize_iq4_kss} /
 * {@code quantize_row_iq4_kss_impl} and {@code dequantize_row_iq4_kss} ({@code iqk/iqk_quantize.cpp}). Each block of
 * 32 is 8 u16 words; a word holds 4 IQ4_K levels (values 2k, 2k+16, 2k+1, 2k+17 of the block) whose 16 bits have even
 * parity (ik's {@code prune_iq4ks} moves one level to make it so), stored as the 15-bit j with {@code j ^ (j << 1)}
 * equal to them, shifted up one; the 8 low bits of the words are the block's scale byte (bit 0: shifted table).
 */
final class IkIq4Kss extends IkBlockCodec {
    static final IkIq4Kss INSTANCE = new IkIq4Kss();

    private static final int ROW_D = 4, SIZE = 128, NTRY = 7;
    private static final IqkLevels LEVELS = IkIq4K.LEVELS;

    private IkIq4Kss() {
        super(GgmlType.IQ4_KSS);
    }

    /** The 4 values and weights of word k of a block: x[2k], x[2k+16], x[2k+1], x[2k+17]. */
    private static void gather(float[] x, int xo, float[] w, int k, float[] xv, float[] wv) {
        xv[0] = x[xo + 2 * k]; xv[1] = x[xo + 2 * k + 16]; xv[2] = x[xo + 2 * k + 1]; xv[3] = x[xo + 2 * k + 17];
        wv[0] = w[2 * k]; wv[1] = w[2 * k + 16]; wv[2] = w[2 * k + 1]; wv[3] = w[2 * k + 17];
    }

    /** {@code n} is one row. */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] qw, byte[] out) {
        float[] w = qw == null ? null : IqkSearch.rowWeights(x, xOff, n, qw, 32);
        int nbl = n / QK_K;
        float[] scales = new float[8 * nbl], weight = new float[32], xv = new float[4], wv = new float[4];
        int[] vps = new int[8], vms = new int[8];
        float amax = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K;
            float sigma2 = IqkSearch.sumSquares(x, xbl) * 0.0078125f;
            for (int ib = 0; ib < 8; ++ib) {
                int xo = xbl + 32 * ib;
                weights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                float max = IqkSearch.signedMax(x, xo, 32);
                if (Math.abs(max) < 1e-16f) {
                    scales[8 * ibl + ib] = 0;
                    continue;
                }
                float best = 0, d = -max / LEVELS.value(0, 0);
                for (int itry = -NTRY; itry <= NTRY; ++itry) {
                    for (int table = 0; table <= 1; ++table) {
                        float id = (itry + LEVELS.value(table, 0)) / max;
                        float thisD = 1 / id;
                        float qxP = 0, q2P = 0, qxM = 0, q2M = 0;
                        for (int k = 0; k < 8; ++k) {
                            gather(x, xo, weight, k, xv, wv);
                            int vp = 0, vm = 0;
                            for (int j = 0; j < 4; ++j) {
                                float al = id * xv[j];
                                vp |= LEVELS.bestIndex(table, al) << 4 * j;
                                vm |= LEVELS.bestIndex(table, -al) << 4 * j;
                            }
                            vp = prune(vp, table, xv, wv, thisD);
                            vm = prune(vm, table, xv, wv, thisD);
                            for (int j = 0; j < 4; ++j) {
                                float q = LEVELS.value(table, (vp >> 4 * j) & 0xf);
                                float wq = wv[j] * q;
                                qxP = Math.fma(wq, xv[j], qxP);
                                q2P = Math.fma(wq, q, q2P);
                                q = LEVELS.value(table, (vm >> 4 * j) & 0xf);
                                wq = wv[j] * q;
                                qxM = Math.fma(wq, xv[j], qxM);
                                q2M = Math.fma(wq, q, q2M);
                            }
                        }
                        if (q2P > 0 && qxP * qxP > best * q2P) { d = qxP / q2P; best = d * qxP; }
                        if (q2M > 0 && qxM * qxM > best * q2M) { d = qxM / q2M; best = d * qxM; }
                    }
                }
                scales[8 * ibl + ib] = d;
                amax = Math.max(amax, Math.abs(d));
            }
        }
        float d = amax / 127;
        putFloat(out, 0, d);
        if (d == 0) return;
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ibl = 0; ibl < nbl; ++ibl) {
            int xbl = xOff + ibl * QK_K, o = ROW_D + ibl * SIZE;
            float sigma2 = IqkSearch.sumSquares(x, xbl) * 0.0078125f;
            for (int ib = 0; ib < 8; ++ib) {
                int xo = xbl + 32 * ib;
                weights(x, xo, w, ibl * QK_K + 32 * ib, sigma2, weight);
                int l = (Math.max(0, Math.min(127, nearestIntFma(0.5f, Math.fma(id, scales[8 * ibl + ib], 127.f)))) << 1) - 127;
                float dl = d * l; // l is odd, never 0
                float idl = 1 / dl;
                float mseP = 0, mseM = 0;
                for (int k = 0; k < 8; ++k) {
                    gather(x, xo, weight, k, xv, wv);
                    int vp = 0, vm = 0;
                    for (int j = 0; j < 4; ++j) {
                        float al = idl * xv[j];
                        vp |= LEVELS.bestIndex(0, al) << 4 * j;
                        vm |= LEVELS.bestIndex(1, al) << 4 * j;
                    }
                    vp = prune(vp, 0, xv, wv, dl);
                    vm = prune(vm, 1, xv, wv, dl);
                    for (int j = 0; j < 4; ++j) {
                        float t = Math.fma(-dl, LEVELS.value(0, (vp >> 4 * j) & 0xf), xv[j]);
                        mseP = Math.fma(wv[j] * t, t, mseP);
                        t = Math.fma(-dl, LEVELS.value(1, (vm >> 4 * j) & 0xf), xv[j]);
                        mseM = Math.fma(wv[j] * t, t, mseM);
                    }
                    vps[k] = vp;
                    vms[k] = vm;
                }
                boolean shifted = mseM < mseP;
                int[] v = shifted ? vms : vps;
                int table = shifted ? 1 : 0;
                for (int k = 0; k < 8; ++k) {
                    gather(x, xo, weight, k, xv, wv);
                    for (int j = 0; j < 4; ++j) {
                        float q = LEVELS.value(table, (v[k] >> 4 * j) & 0xf) * l;
                        float wq = wv[j] * q;
                        sumqx = Math.fma(wq, xv[j], sumqx);
                        sumq2 = Math.fma(wq, q, sumq2);
                    }
                }
                l += 127;
                if (shifted) l |= 1;
                for (int k = 0; k < 8; ++k) {
                    int word = (scramble(v[k] & 0x7fff) << 1) | ((l >> k) & 1);
                    put16(out, o + 16 * ib + 2 * k, word);
                }
            }
        }
        if (sumq2 > 0) putFloat(out, 0, sumqx / sumq2 * 1.01f);
    }

    /** ik's {@code scramble_table}: the 15-bit j with {@code j ^ (j << 1)} = i with its parity bit at 15. */
    static int scramble(int i) {
        int j = 0, prev = 0;
        for (int b = 0; b < 15; ++b) {
            int bit = ((i >> b) & 1) ^ prev;
            j |= bit << b;
            prev = bit;
        }
        return j;
    }

    /**
     * ik's {@code prune_iq4ks}: a word of odd parity gets the one level change (±1, ±2 within the table) of least
     * weighted error increase that makes it even. ik measures the current level's error on the plain table.
     */
    private static int prune(int v, int table, float[] x, float[] w, float dl) {
        if (Integer.bitCount(v) % 2 == 0) return v;
        float bestScore = Float.MAX_VALUE;
        int jbest = -1, bestq = 0;
        for (int j = 0; j < 4; ++j) {
            int q = (v >> 4 * j) & 0xf;
            int pc = Integer.bitCount(q);
            float diff0 = Math.fma(dl, LEVELS.value(0, q), -x[j]);
            for (int iq = Math.max(q - 2, 0); iq <= Math.min(q + 2, 15); ++iq) {
                if (iq == q || Math.abs(Integer.bitCount(iq) - pc) % 2 == 0) continue;
                float diff1 = Math.fma(dl, LEVELS.value(table, iq), -x[j]);
                float score = w[j] * Math.fma(diff1, diff1, -(diff0 * diff0));
                if (score < bestScore) { bestScore = score; jbest = j; bestq = iq; }
            }
        }
        return (v & ~(0xf << 4 * jbest)) | (bestq << 4 * jbest);
    }

    private static void weights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] w) {
        if (qw != null) {
            IqkSearch.imatrixWeights(qw, qo, x, xo, sigma2, w, 32);
        } else {
            for (int j = 0; j < 32; ++j) w[j] = x[xo + j] * x[xo + j];
        }
    }

    /** {@code dequantize_row_iq4_kss}: {@code n} is one row. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] y, int yOff, int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException("iq4_kss works on whole rows of blocks of 256 values; got " + n);
        }
        float d = src.get(ValueLayout.JAVA_FLOAT_UNALIGNED, srcOffset);
        int[] aux = new int[8];
        for (int blk = 0; blk < n / 32; ++blk) {
            long b = srcOffset + ROW_D + 16L * blk;
            int ls = 0;
            for (int k = 0; k < 8; ++k) {
                int q = src.get(ValueLayout.JAVA_SHORT_UNALIGNED, b + 2L * k) & 0xFFFF;
                int a = q & 0xfffe;
                aux[k] = a ^ (a >> 1);
                ls |= (q & 1) << k;
            }
            int table = ls & 1;
            float dl = d * ((ls & 254) - 127);
            int yb = yOff + 32 * blk;
            for (int j = 0; j < 16; ++j) {
                int byteJ = (aux[j / 2] >> 8 * (j % 2)) & 0xFF;
                y[yb + j] = dl * LEVELS.value(table, byteJ & 0xf);
                y[yb + j + 16] = dl * LEVELS.value(table, byteJ >> 4);
            }
        }
    }
}
