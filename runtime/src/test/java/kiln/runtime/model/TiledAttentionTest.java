package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Kernels;
import kiln.runtime.kernel.ScalarKernels;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TiledAttention} against attention written out in doubles (scores, max-subtracted softmax over the token's
 * visible cache rows, weighted value sums), at awkward sizes: head dimensions that are not a multiple of the vector
 * lanes, partial cache blocks, tiles cut short by the batch, several sequences, one-token generation with the cache
 * split over threads (flash decoding: the cache in parts merged afterwards), grouped K/V heads and the latent layout;
 * scalar and Vector API kernels, one and three threads.
 */
class TiledAttentionTest {
    private static final float TOLERANCE = 2e-5f;

    @Test
    void standardAttentionEqualsTheDefinition() {
        // nHead, nKv, dk, dv, pos0, n, seqLen
        int[][] cases = {{8, 2, 40, 24, 37, 13, Integer.MAX_VALUE}, {8, 8, 64, 64, 0, 12, 4}, {32, 8, 64, 64, 70, 1, Integer.MAX_VALUE},
                {32, 8, 64, 64, 700, 1, Integer.MAX_VALUE}, {8, 2, 40, 24, 300, 4, 2}, {128, 128, 16, 16, 260, 1, Integer.MAX_VALUE},
                {6, 3, 16, 48, 5, 70, Integer.MAX_VALUE}, {4, 1, 32, 32, 31, 2, 1}};
        for (Kernels k : new Kernels[] {new ScalarKernels(), Kernels.select()}) {
            for (int threads : new int[] {1, 3}) {
                for (int[] c : cases) standard(k, threads, c[0], c[1], c[2], c[3], c[4], c[5], c[6], KvStore.Type.F32);
                standard(k, threads, 8, 2, 32, 32, 40, 9, Integer.MAX_VALUE, KvStore.Type.F16);
            }
        }
    }

    @Test
    void latentAttentionEqualsTheDefinition() {
        // nHead, kvl, rope, pos0, n, seqLen
        int[][] cases = {{16, 64, 16, 50, 9, Integer.MAX_VALUE}, {16, 64, 16, 100, 1, Integer.MAX_VALUE}, {128, 32, 16, 3, 5, Integer.MAX_VALUE},
                {16, 64, 16, 1000, 1, Integer.MAX_VALUE}, {16, 64, 16, 400, 2, Integer.MAX_VALUE}, {128, 32, 16, 300, 1, Integer.MAX_VALUE},
                {4, 40, 8, 0, 20, 10}, {3, 16, 16, 33, 1, Integer.MAX_VALUE}};
        for (Kernels k : new Kernels[] {new ScalarKernels(), Kernels.select()}) {
            for (int threads : new int[] {1, 3}) {
                for (int[] c : cases) latent(k, threads, c[0], c[1], c[2], c[3], c[4], c[5], KvStore.Type.F32);
                latent(k, threads, 16, 64, 32, 20, 7, Integer.MAX_VALUE, KvStore.Type.Q8_0);
                for (int pos = 30; pos < 36; pos++) latent(k, threads, 4, 256, 32, pos, 1, Integer.MAX_VALUE, KvStore.Type.F16);
                latent(k, threads, 4, 256, 32, 0, 9, Integer.MAX_VALUE, KvStore.Type.F16);
                // scores hundreds apart: a later block's maximum makes the earlier terms underflow to zero
                latent(k, threads, 4, 64, 16, 90, 3, Integer.MAX_VALUE, KvStore.Type.F32, 40f);
                latent(k, threads, 4, 64, 16, 600, 1, Integer.MAX_VALUE, KvStore.Type.F32, 40f); // and across split parts
            }
        }
    }

    private static void standard(Kernels k, int threads, int nHead, int nKv, int dk, int dv, int pos0, int n, int seqLen,
                                 KvStore.Type type) {
        Random r = new Random(nHead * 31 + dk + pos0 + n);
        int perSeq = Math.min(seqLen, n), seqs = n / perSeq, nCtx = pos0 + perSeq + 5, group = nHead / nKv;
        KvStore kc = new KvStore(type, 2, nCtx * seqs, nKv * dk), vc = new KvStore(type, 2, nCtx * seqs, nKv * dv);
        fill(kc, 1, r);
        fill(vc, 1, r);
        int qStride = nHead * dk + 3, outStride = nHead * dv + 2;
        float[] q = random(r, n * qStride), out = new float[n * outStride];
        float scale = 1 / (float) Math.sqrt(dk);
        try (Backend b = new Backend(k, threads, 64, 1, 1, kiln.runtime.kernel.Numerics.GGML_ROUNDED)) {
            new TiledAttention(b, cells(nCtx, seqLen), new TiledAttention.Shape(nHead, group, dk, dv, dk, dv))
                    .standard(kc, vc, 1, pos0, n, q, qStride, nHead, nKv, dk, dv, scale, out, outStride);
        }
        float[] krow = new float[nKv * dk], vrow = new float[nKv * dv];
        for (int t = 0; t < n; t++) {
            int p = pos0 + t % perSeq, base = (t / perSeq) * nCtx;
            for (int h = 0; h < nHead; h++) {
                int g = h / group;
                double[] s = new double[p + 1];
                for (int j = 0; j <= p; j++) {
                    kc.get(1, base + j, 0, kc.width, krow, 0);
                    double d = 0;
                    for (int i = 0; i < dk; i++) d += (double) q[t * qStride + h * dk + i] * krow[g * dk + i];
                    s[j] = d * scale;
                }
                double[] want = weightedValues(s, vc, 1, base, g * dv, dv, vrow);
                String what = k.name() + " " + threads + " threads, " + nHead + "/" + nKv + " heads, dk " + dk + ", token " + t + ", head " + h;
                assertClose(want, out, t * outStride + h * dv, what);
            }
        }
    }

    private static void latent(Kernels k, int threads, int nHead, int kvl, int rope, int pos0, int n, int seqLen, KvStore.Type type) {
        latent(k, threads, nHead, kvl, rope, pos0, n, seqLen, type, 0.1f);
    }

    private static void latent(Kernels k, int threads, int nHead, int kvl, int rope, int pos0, int n, int seqLen, KvStore.Type type,
                               float scale) {
        Random r = new Random(nHead * 17 + kvl + pos0 + n);
        int perSeq = Math.min(seqLen, n), seqs = n / perSeq, nCtx = pos0 + perSeq + 3;
        KvStore kc = new KvStore(type, 1, nCtx * seqs, kvl + rope);
        fill(kc, 0, r);
        int headStride = rope + 5, qpeStride = nHead * headStride + 1, qpeOff = 5;
        float[] qAbs = random(r, n * nHead * kvl), qpe = random(r, n * qpeStride), out = new float[n * nHead * kvl];
        try (Backend b = new Backend(k, threads, 64, 1, 1, kiln.runtime.kernel.Numerics.GGML_ROUNDED)) {
            new TiledAttention(b, cells(nCtx, seqLen), new TiledAttention.Shape(nHead, nHead, kvl + rope, kvl, kvl + rope, 0))
                    .latent(kc, 0, pos0, n, qAbs, nHead, kvl, rope, qpe, qpeStride, headStride, qpeOff, scale, out);
        }
        float[] row = new float[kvl + rope];
        for (int t = 0; t < n; t++) {
            int p = pos0 + t % perSeq, base = (t / perSeq) * nCtx;
            for (int h = 0; h < nHead; h++) {
                double[] s = new double[p + 1];
                for (int j = 0; j <= p; j++) {
                    kc.get(0, base + j, 0, kvl + rope, row, 0);
                    double d = 0;
                    for (int i = 0; i < kvl; i++) d += (double) qAbs[(t * nHead + h) * kvl + i] * row[i];
                    for (int i = 0; i < rope; i++) d += (double) qpe[t * qpeStride + h * headStride + qpeOff + i] * row[kvl + i];
                    s[j] = d * scale;
                }
                double[] want = weightedValues(s, kc, 0, base, 0, kvl, row);
                String what = k.name() + " " + threads + " threads, latent " + nHead + " heads, kvl " + kvl + ", token " + t + ", head " + h;
                assertClose(want, out, (t * nHead + h) * kvl, what);
            }
        }
    }

    /** Sequence-major cells: seqLen tokens per sequence. */
    private static BatchCells cells(int nCtx, int seqLen) {
        BatchCells c = new BatchCells(nCtx);
        c.sequences(seqLen);
        return c;
    }

    /** softmax(s) · V (rows base.. of the layer, values [from, from+d)) in doubles. */
    private static double[] weightedValues(double[] s, KvStore v, int layer, int base, int from, int d, float[] buf) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double x : s) max = Math.max(max, x);
        double[] w = new double[s.length], out = new double[d];
        for (int j = 0; j < s.length; j++) sum += w[j] = Math.exp(s[j] - max);
        for (int j = 0; j < s.length; j++) {
            v.get(layer, base + j, from, d, buf, 0);
            for (int i = 0; i < d; i++) out[i] += w[j] / sum * buf[i];
        }
        return out;
    }

    private static void assertClose(double[] want, float[] got, int off, String what) {
        double norm = 0;
        for (double w : want) norm = Math.max(norm, Math.abs(w));
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[off + i], TOLERANCE * Math.max(1, norm), what + ", value " + i);
        }
        assertTrue(want.length > 0);
    }

    private static void fill(KvStore s, int layer, Random r) {
        float[] row = new float[s.width];
        for (int c = 0; c < s.nCtx; c++) {
            for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian();
            s.put(layer, c, row, 0);
        }
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
