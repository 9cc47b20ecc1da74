package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

import static kiln.tensor.codec.BlockCodec.putHalf;

/**
 * {@code quantize_iq3_s} ({@code quantize_row_iq3_s_impl}, blocks of 32) of llama.cpp or ik_llama.cpp (the same
 * algorithm; ik rounds with FMA, see {@link GridMath}). Per block of 32: 8 indices into the 512-point grid (low 8
 * bits in {@code qs}, the 9th in {@code qh}), 32 sign bits and a 4-bit scale; one fp16 super-block scale
 * {@code max/31 · 1.033}.
 *
 * <p>As in ggml, a block whose values are all zero writes no indices or signs and does not advance the
 * {@code qs}/{@code signs} cursors: the next block's bytes take its place (its {@code qh} bits stay at the right
 * position).
 */
final class Iq3SQuantizer extends FlavoredRowQuantizer {

    private static final int BLOCK_BYTES = 110;
    private static final int QS = 2, QH = 66, SIGNS = 74, SCALES = 106;

    Iq3SQuantizer(Flavor flavor) {
        super(flavor);
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] quantWeights, byte[] out) {
        Iq3SubBlockSearch search = Iq3SubBlockSearch.iq3s(flavor);
        float[] weight = new float[32], waux = new float[32], xval = new float[32], scales = new float[8];
        int[] blockSigns = new int[4];
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl, y = BLOCK_BYTES * ibl;
            int qs = y + QS, signs = y + SIGNS;
            float sigma2 = GridMath.sigma2(x, xbl);
            float maxScale = 0;
            for (int ib = 0; ib < 8; ++ib) {
                int xb = xbl + 32 * ib;
                for (int i = 0; i < 32; ++i) {
                    weight[i] = GridMath.importance(fused, quantWeights, 256 * ibl + 32 * ib + i, sigma2, x[xb + i]);
                    waux[i] = (float) Math.sqrt(weight[i]);
                }
                for (int k = 0; k < 4; ++k) blockSigns[k] = GridSigns.fold(x, xb + 8 * k, weight, 8 * k, xval, 8 * k, false);
                float max = xval[0];
                for (int i = 1; i < 32; ++i) max = GridMath.cMax(max, xval[i]);
                if (max == 0) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = search.search(xval, weight, waux, max);
                if (scale < 0) { // "should never happen" in ggml: flip the scale and the signs
                    scale = -scale;
                    for (int k = 0; k < 4; ++k) blockSigns[k] = ~blockSigns[k];
                }
                for (int k = 0; k < 8; ++k) {
                    int gridIndex = search.index[k];
                    out[qs + k] = (byte) gridIndex;
                    out[y + QH + ib] |= (byte) ((gridIndex >> 8) << k);
                }
                qs += 8;
                for (int k = 0; k < 4; ++k) out[signs + k] = (byte) blockSigns[k];
                signs += 4;
                scales[ib] = scale;
                maxScale = GridMath.cMax(maxScale, scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 31;
            putHalf(out, y, d * 1.033f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ib += 2) {
                int l1 = Math.max(0, Math.min(15, GridMath.nearestOddLevel(fused, id, scales[ib])));
                int l2 = Math.max(0, Math.min(15, GridMath.nearestOddLevel(fused, id, scales[ib + 1])));
                out[y + SCALES + ib / 2] = (byte) (l1 | l2 << 4);
            }
        }
    }
}
