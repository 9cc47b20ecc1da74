package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * IQ4_KT (4.0 bpw + one f32 per row), ik's 4-bit trellis type: {@code dequantize_row_iq4_kt}. Block of 256 in 8
 * blocks of 32, each 8 groups of 4 values with a 15-bit trellis index: shb[8 × u32] (bit 0: the block uses the
 * second table, offset 4096 + 32768; bits 1..7: block scale + 64; bits 8..31: bits 12..14 of the index of group
 * 0..7, three bits each), ql[64] (low 8 bits per group), qh[32] (bits 8..11: the low nibble for groups 0..31, the
 * high nibble for groups 32..63).
 */
final class IkIq4Kt extends TrellisCodec {
    static final IkIq4Kt INSTANCE = new IkIq4Kt(1f);

    /** The second trellis table's offset (ik's {@code 32768 + 4096}). */
    static final int SECOND_OFFSET = Trellis.OFFSET + 32768;

    private static final int SHB = 0, QL = 32, QH = 96;

    private IkIq4Kt(float rowScaleFactor) {
        super(GgmlType.IQ4_KT, rowScaleFactor);
    }

    @Override
    void dequantizeBlock(byte[] b, float d, float[] y, int yOff) {
        for (int ib = 0; ib < 8; ++ib) {
            int shb = Trellis.u32(b, SHB + 4 * ib);
            int offset = (shb & 1) != 0 ? SECOND_OFFSET : Trellis.OFFSET;
            float sl = d * (((shb & 0xff) >> 1) - 64);
            for (int ig = 0; ig < 8; ++ig) {
                int g = 8 * ib + ig;
                int index = Trellis.index12(b, QL, QH, g, 32) | (((shb >>> (8 + 3 * ig)) & 7) << 12);
                Trellis.group(index, offset, sl, false, 4, y, yOff + 4 * g);
            }
        }
    }
}
