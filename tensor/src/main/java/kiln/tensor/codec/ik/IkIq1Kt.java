package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * IQ1_KT (1.75 bpw + one f32 per row), ik's 1-bit trellis type: {@code dequantize_row_iq1_kt}. Block of 256 in 8
 * blocks of 32, each 4 groups of 8 values with a 13-bit trellis index: sh[8] (bits 0..3: the block scale as an index
 * into {@code iq4k_values}; bits 4..7: bit 12 of the index of group 0..3), ql[32] (low 8 bits per group), qh[16]
 * (bits 8..11: the low nibble for blocks 0..3, the high nibble for blocks 4..7).
 */
final class IkIq1Kt extends TrellisCodec {
    static final IkIq1Kt INSTANCE = new IkIq1Kt(1f);

    private static final int SH = 0, QL = 8, QH = 40;

    private IkIq1Kt(float rowScaleFactor) {
        super(GgmlType.IQ1_KT, rowScaleFactor);
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 8; ++ib) {
            int sh = b[SH + ib] & 0xff;
            float sl = d * IkIq4K.VALUES[sh & 0xf];
            for (int ig = 0; ig < 4; ++ig) {
                int g = 4 * ib + ig;
                int index = Trellis.index12(b, QL, QH, g, 16) | ((sh << (8 - ig)) & 0x1000);
                Trellis.group(index, Trellis.OFFSET, sl, false, 8, y, yOff + 8 * g);
            }
        }
    }
}
