package kiln.convert.arch;

import kiln.convert.hf.JsonDoc;
import kiln.convert.tensors.TensorData;

/**
 * The rope_freqs tensor that the converters generate for Llama-3 ({@code rope_type: llama3}) rope scaling, computed in
 * float32 as their torch code does (freq = 1/base^(2k/dim); factor 1, {@code factor}, or the smooth blend between).
 * Java's pow may differ from torch's float32 pow in the last bit for a few factors of the blend band.
 */
final class Llama3RopeFreqs {
    private Llama3RopeFreqs() {}

    static float[] factors(JsonDoc config, JsonDoc ropeScaling, long dim) {
        double base = config.optDouble("rope_theta") != null ? config.optDouble("rope_theta") : 10000.0;
        Double f = ropeScaling.optDouble("factor");
        Double lo = ropeScaling.optDouble("low_freq_factor");
        Double hi = ropeScaling.optDouble("high_freq_factor");
        float factor = (float) (f != null ? f : 8.0);
        double low = lo != null ? lo : 1.0;
        double high = hi != null ? hi : 4.0;
        Long oc = config.optLong("original_max_position_embeddings");
        if (oc == null) oc = ropeScaling.optLong("original_max_position_embeddings");
        long old = oc != null ? oc : 8192;
        double lowWavelen = old / low;
        double highWavelen = old / high;
        float[] out = new float[(int) (dim / 2)];
        for (int k = 0; k < out.length; k++) {
            float x = (float) (2 * k) / (float) dim;
            float freq = 1f / (float) Math.pow((float) base, x);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) out[k] = 1f;
            else if (wavelen > lowWavelen) out[k] = factor;
            else {
                float smooth = ((float) old / wavelen - (float) low) / (float) (high - low);
                out[k] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return out;
    }

    static TensorData data(float[] v) {
        return new TensorData() {
            public long elements() { return v.length; }

            public void read(long start, int n, float[] dst, int off) {
                System.arraycopy(v, (int) start, dst, off, n);
            }
        };
    }
}
