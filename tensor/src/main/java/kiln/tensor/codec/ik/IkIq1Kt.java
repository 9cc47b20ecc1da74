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

    private static final int SIZE = 56, BLOCK = TrellisScaleFit.BLOCK;

    /** {@code iq1kt_quantizer()}: 13-bit indices, 32 neighbours per point. */
    private static final class Quantizer {
        static final TrellisQuantizer INSTANCE = new TrellisQuantizer(13, false, 32);
    }


    /**
     * {@code quantize_row_iq1_kt_impl}: as IQ2_KT's ({@link TrellisScaleFit}) with a second start scale per block
     * (scale0 − 8), one {@code iq4k_values} scale per block of 32, and the refitted row scale stored × 1.07.
     */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] imatrix, byte[] out) {
        TrellisQuantizer q = Quantizer.INSTANCE;
        float[] weights = new float[n], scales = new float[n / BLOCK];
        int[] idx = new int[n / TrellisQuantizer.GROUP];
        TrellisQuantizer.setWeights(2.0f, BLOCK, x, xOff, n, imatrix, weights);
        float maxScale = TrellisScaleFit.blockScales(q, x, xOff, n, weights, scales, idx, true);
        if (maxScale == 0) return; // d = 0, blocks zero
        float d = TrellisScaleFit.search(maxScale, x, xOff, weights, scales, idx, q.values(), n / BLOCK, BLOCK);
        float id = d != 0 ? 1 / d : 0.f;
        for (int ib = 0; ib < n / BLOCK; ib++) out[sh(ib)] = (byte) IkIq4.bestIndex(id * scales[ib]);
        putFloat(out, 0, d);
        if (d == 0) return;
        float refit = TrellisScaleFit.rematch(q, x, xOff, n, weights, idx, d, ib -> IkIq4K.VALUES[out[sh(ib)] & 0xf],
                (ib, ig, index) -> {
                    int o = 4 + SIZE * (ib / 8), b = ib % 8;
                    out[o + QL + 4 * b + ig] = (byte) index;
                    out[o + QH + 4 * (b % 4) + ig] |= (byte) (((index >> 8) & 0xf) << 4 * (b / 4));
                    out[o + SH + b] |= (byte) ((index >> 12) << (4 + ig));
                });
        if (!Float.isNaN(refit)) putFloat(out, 0, refit * 1.07f);
    }

    /** The byte of block {@code ib}'s scale in the row. */
    private static int sh(int ib) {
        return 4 + SIZE * (ib / 8) + SH + ib % 8;
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
