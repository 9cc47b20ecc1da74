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
    static final IkIq2Kt AS_IK_KERNELS_READ_IT = new IkIq2Kt(IkKernelCodecs.rowScaleFactor(GgmlType.IQ2_KT));

    private static final int SCALES = 0, QL = 4;

    private IkIq2Kt(float rowScaleFactor) {
        super(GgmlType.IQ2_KT, rowScaleFactor);
    }

    private static final int BLOCK = TrellisScaleFit.BLOCK;

    /** {@code iq2kt_quantizer()}: 16-bit indices, 8 neighbours per point. */
    private static final class Quantizer {
        static final TrellisQuantizer INSTANCE = new TrellisQuantizer(16, false, 8);
    }


    /**
     * {@code quantize_row_iq2_kt_impl}: per block of 32, the trellis indices and scale that fit best for the start
     * scales ±amax/max(90, 124·amax/amax_row) ({@link TrellisScaleFit#blockScales}); the row scale by {@link TrellisScaleFit#search}, the block scales as
     * {@code iq4k_values} indices; then each block is searched again at its final scale and keeps the better of its
     * old and new indices by weighted error, and the row scale is refitted.
     */
    @Override
    void quantizeBlocks(float[] x, int xOff, int n, float[] imatrix, byte[] out) {
        TrellisQuantizer q = Quantizer.INSTANCE;
        int nblock = n / 256;
        float[] weights = new float[n], scales = new float[n / BLOCK];
        int[] idx = new int[n / TrellisQuantizer.GROUP];
        TrellisQuantizer.setWeights(2.0f, BLOCK, x, xOff, n, imatrix, weights);
        float maxScale = TrellisScaleFit.blockScales(q, x, xOff, n, weights, scales, idx, false);
        if (maxScale == 0) return; // d = 0, blocks zero
        float d = TrellisScaleFit.search(maxScale, x, xOff, weights, scales, idx, q.values(), nblock * 8, BLOCK);
        float id = d != 0 ? 1 / d : 0.f;
        for (int ibl = 0; ibl < nblock; ibl++) {
            for (int ib = 0; ib < 4; ib++) {
                int ls1 = IkIq4.bestIndex(id * scales[8 * ibl + ib]), ls2 = IkIq4.bestIndex(id * scales[8 * ibl + ib + 4]);
                out[4 + 68 * ibl + SCALES + ib] = (byte) (ls1 | (ls2 << 4));
            }
        }
        putFloat(out, 0, d);
        if (d == 0) return;
        float refit = TrellisScaleFit.rematch(q, x, xOff, n, weights, idx, d,
                ib -> IkIq4K.VALUES[((out[4 + 68 * (ib / 8) + SCALES + ib % 4] & 0xff) >> 4 * (ib % 8 / 4)) & 0xf],
                (ib, ig, index) -> put16(out, 4 + 68 * (ib / 8) + QL + 2 * (4 * (ib % 8) + ig), index));
        if (!Float.isNaN(refit)) putFloat(out, 0, refit);
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
