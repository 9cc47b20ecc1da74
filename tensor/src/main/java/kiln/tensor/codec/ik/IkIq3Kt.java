package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * IQ3_KT (3.125 bpw + one f32 per row), ik's 3-bit trellis type: {@code dequantize_row_iq3_kt}. The trellis gives
 * magnitudes ({@code is_abs}); a sign bit per value flips them. Block of 256: scales[4] (two 4-bit block scales each,
 * used as plain integers: low nibble for a block of 32 in the first half, high nibble for its partner in the second),
 * ql[32 × u16] (one trellis index per group of 8; first 16 for values 0..127, last 16 for 128..255), qh[32] (bit
 * {@code ib} of {@code qh[8·ig + j]}: sign of value j of group ig of block ib, bit {@code ib + 4} the same in the
 * second half).
 */
final class IkIq3Kt extends TrellisCodec {
    static final IkIq3Kt INSTANCE = new IkIq3Kt(1f);
    /** As ik's x86 matrix multiplication reads it ({@code iqk_gemm_ktquants.cpp}: row scale × 1.01f). */
    static final IkIq3Kt AS_IK_KERNELS_READ_IT = new IkIq3Kt(1.01f);

    private static final int SCALES = 0, QL = 4, QH = 68;

    private IkIq3Kt(float rowScaleFactor) {
        super(GgmlType.IQ3_KT, rowScaleFactor);
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 4; ++ib) {
            int sc = b[SCALES + ib] & 0xff;
            float sl = d * (sc & 0xf), sh = d * (sc >> 4);
            for (int ig = 0; ig < 4; ++ig) {
                int g = 4 * ib + ig, yl = yOff + 8 * g, yh = yl + 128;
                Trellis.group(Trellis.u16(b, QL + 2 * g), Trellis.OFFSET, sl, true, 8, y, yl);
                Trellis.group(Trellis.u16(b, QL + 2 * (16 + g)), Trellis.OFFSET, sh, true, 8, y, yh);
                for (int j = 0; j < 8; ++j) {
                    int signs = b[QH + 8 * ig + j] & 0xff;
                    if ((signs & (1 << ib)) != 0) y[yl + j] = -y[yl + j];
                    if ((signs & (16 << ib)) != 0) y[yh + j] = -y[yh + j];
                }
            }
        }
    }
}
