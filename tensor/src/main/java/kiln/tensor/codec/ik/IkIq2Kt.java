package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * IQ2_KT (2.125 bpw + one f32 per row), ik's 2-bit trellis type: {@code dequantize_row_iq2_kt}. Block of 256:
 * scales[4] (two 4-bit indices into {@code iq4k_values} each: low nibble for a block of 32 in the first half, high
 * nibble for its partner in the second half), ql[32 × u16] (one 16-bit trellis index per group of 8 values; the
 * first 16 cover values 0..127, the last 16 values 128..255).
 */
final class IkIq2Kt extends TrellisCodec {
    static final IkIq2Kt INSTANCE = new IkIq2Kt(1f);
    /** As ik's x86 matrix multiplication reads it ({@code iqk_gemm_ktquants.cpp}: row scale × 1.05f). */
    static final IkIq2Kt AS_IK_KERNELS_READ_IT = new IkIq2Kt(1.05f);

    private static final int SCALES = 0, QL = 4;

    private IkIq2Kt(float rowScaleFactor) {
        super(GgmlType.IQ2_KT, rowScaleFactor);
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 4; ++ib) {
            int sc = b[SCALES + ib] & 0xff;
            float sl = d * IkIq4K.VALUES[sc & 0xf], sh = d * IkIq4K.VALUES[sc >> 4];
            for (int ig = 0; ig < 4; ++ig) {
                int g = 4 * ib + ig;
                Trellis.group(Trellis.u16(b, QL + 2 * g), Trellis.OFFSET, sl, false, 8, y, yOff + 8 * g);
                Trellis.group(Trellis.u16(b, QL + 2 * (16 + g)), Trellis.OFFSET, sh, false, 8, y, yOff + 128 + 8 * g);
            }
        }
    }
}
