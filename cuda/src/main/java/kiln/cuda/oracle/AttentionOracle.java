package kiln.cuda.oracle;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;

import java.lang.foreign.MemorySegment;

/**
 * Scalar oracle of attention.cu (+ softmax.cu): one query token over a cache of nKv rows, grouped-query heads
 * (query head h reads cache head h / (nHead / nHeadKv)): out[h] = Σ_t softmax_t(scale · q[h]·k[t]) v[t]. The
 * cache comes in as floats ({@link #fromF16}, {@link #fromQ8_0} give what an f16 or q8_0 cache holds).
 */
public final class AttentionOracle {
    private AttentionOracle() {}

    /** llama layout: K and V both [t][head_kv][hd]. */
    public static float[] apply(float[] q, float[] k, float[] v, int nKv, int nHead, int nHeadKv, int hd, float scale) {
        return apply(q, k, v, nKv, nHead, nHeadKv, hd, hd, hd, scale);
    }

    /**
     * The general form: K rows of hdK values ([t][head_kv][hdK]); the values of (t, head_kv) are hdV values starting at
     * (t · nHeadKv + head_kv) · vStride of v. MLA's latent attention: v = k, nHeadKv = 1, hdK = kv_lora_rank + n_rot,
     * hdV = kv_lora_rank, vStride = hdK.
     */
    public static float[] apply(float[] q, float[] k, float[] v, int nKv, int nHead, int nHeadKv, int hdK, int hdV, int vStride, float scale) {
        float[] out = new float[nHead * hdV];
        int group = nHead / nHeadKv;
        for (int h = 0; h < nHead; h++) {
            int hk = h / group;
            float[] p = new float[nKv];
            for (int t = 0; t < nKv; t++) {
                double s = 0;
                for (int d = 0; d < hdK; d++) s += (double) q[h * hdK + d] * k[(t * nHeadKv + hk) * hdK + d];
                p[t] = (float) s;
            }
            SoftmaxOracle.apply(p, 1, nKv, scale);
            for (int d = 0; d < hdV; d++) {
                double s = 0;
                for (int t = 0; t < nKv; t++) s += (double) p[t] * v[(t * nHeadKv + hk) * vStride + d];
                out[h * hdV + d] = (float) s;
            }
        }
        return out;
    }

    /** The values an f16 cache holds. */
    public static float[] fromF16(short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) out[i] = Fp16.halfToFloat(bits[i]);
        return out;
    }

    /** The n values a q8_0 cache of these bytes holds (ggml's dequantize_row_q8_0, through Kiln's codec). */
    public static float[] fromQ8_0(byte[] bytes, int n) {
        float[] out = new float[n];
        Codecs.find(GgmlType.Q8_0).dequantize(MemorySegment.ofArray(bytes), 0, out, 0, n);
        return out;
    }
}
