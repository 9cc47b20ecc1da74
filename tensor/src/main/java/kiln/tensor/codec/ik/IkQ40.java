package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

import static kiln.tensor.codec.QuantMath.cTruncToInt;

/**
 * ik's Q4_0 quantizer without importance weights: {@code quantize_row_q4_0_ref}, in which ik's build fuses
 * {@code x*id + 8.5f}. (With weights ik runs {@code quantize_row_q4_0_impl}, whose bytes no fixture covers;
 * Kiln refuses weights here rather than guess, see IK_CODECS.md.) Block: d (fp16), qs[16].
 */
final class IkQ40 extends IkBlockCodec {
    static final IkQ40 INSTANCE = new IkQ40();

    private IkQ40() {
        super(GgmlType.Q4_0);
    }

    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out) {
        if (weights != null) {
            throw new UnsupportedOperationException("Kiln cannot reproduce ik_llama.cpp's Q4_0 with an importance matrix yet");
        }
        for (int i = 0; i < n / 32; i++) {
            int xb = xOff + 32 * i, o = 18 * i;
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[xb + j];
                if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, o, d);
            for (int j = 0; j < 16; ++j) {
                int xi0 = Math.min(15, (byte) cTruncToInt(Math.fma(x[xb + j], id, 8.5f)));
                int xi1 = Math.min(15, (byte) cTruncToInt(Math.fma(x[xb + 16 + j], id, 8.5f)));
                out[o + 2 + j] = (byte) ((xi0 & 0xFF) | ((xi1 & 0xFF) << 4)); // C stores them as uint8_t
            }
        }
    }
}
