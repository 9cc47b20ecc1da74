package kiln.cuda.oracle;

import kiln.tensor.Fp16;

/**
 * Scalar oracle of attention.cu (+ softmax.cu): one query token over an f16 cache of nKv rows, grouped-query heads
 * (query head h reads cache head h / (nHead / nHeadKv)): out[h] = Σ_t softmax_t(scale · q[h]·k[t]) v[t].
 * Cache layout: [t][head_kv][hd] as f16 bits.
 */
public final class AttentionOracle {
    private AttentionOracle() {}

    public static float[] apply(float[] q, short[] k, short[] v, int nKv, int nHead, int nHeadKv, int hd, float scale) {
        return apply(q, k, v, nKv, nHead, nHeadKv, hd, hd, hd, scale);
    }

    /**
     * The general form: K rows of hdK values ([t][head_kv][hdK]); the values of (t, head_kv) are hdV values starting at
     * (t · nHeadKv + head_kv) · vStride of v. MLA's latent attention: v = k, nHeadKv = 1, hdK = kv_lora_rank + n_rot,
     * hdV = kv_lora_rank, vStride = hdK.
     */
    public static float[] apply(float[] q, short[] k, short[] v, int nKv, int nHead, int nHeadKv, int hdK, int hdV, int vStride, float scale) {
        int hd = hdK;
        float[] out = new float[nHead * hdV];
        int group = nHead / nHeadKv;
        for (int h = 0; h < nHead; h++) {
            int hk = h / group;
            float[] p = new float[nKv];
            for (int t = 0; t < nKv; t++) {
                double s = 0;
                for (int d = 0; d < hd; d++) s += (double) q[h * hd + d] * Fp16.halfToFloat(k[(t * nHeadKv + hk) * hd + d]);
                p[t] = (float) s;
            }
            SoftmaxOracle.apply(p, 1, nKv, scale);
            for (int d = 0; d < hdV; d++) {
                double s = 0;
                for (int t = 0; t < nKv; t++) s += (double) p[t] * Fp16.halfToFloat(v[(t * nHeadKv + hk) * vStride + d]);
                out[h * hdV + d] = (float) s;
            }
        }
        return out;
    }
}
