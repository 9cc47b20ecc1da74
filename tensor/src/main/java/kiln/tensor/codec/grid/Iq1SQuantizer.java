package kiln.tensor.codec.grid;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;

import static kiln.tensor.codec.BlockCodec.put16;
import static kiln.tensor.codec.BlockCodec.putHalf;
import static kiln.tensor.codec.BlockCodec.u16;

/**
 * {@code quantize_iq1_s} of llama.cpp ({@code quantize_row_iq1_s_impl}) or ik_llama.cpp (the same with the block
 * search moved into {@code iq1s_process_1block}; ik starts the best score at −FLT_MIN instead of −FLT_MAX and
 * rounds with FMA, see {@link GridMath}). Importance weights are required. Per block of 32: the exact weighted
 * least-squares split of the sorted values into levels −1, 0, 1 for both shifts (±IQ1S_DELTA), each group of 8
 * mapped to the 2048-point grid (off-grid groups to their best neighbour, then the scale refitted); 4 grid indices,
 * a u16 with their high bits, a 3-bit scale and the shift's sign; one fp16 super-block scale {@code max/15 · 1.125}.
 */
final class Iq1SQuantizer extends FlavoredRowQuantizer {

    private static final int BLOCK_BYTES = 50;

    Iq1SQuantizer(Flavor flavor) {
        super(flavor);
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float[] quantWeights, byte[] out) {
        if (quantWeights == null) throw new KilnException("cannot quantize to iq1_s without importance weights: pass an imatrix");
        float[] weight = new float[32], scales = new float[8];
        int[] shifts = new int[8], index = new int[4];
        Iq1SBlockSearch block = new Iq1SBlockSearch(flavor);
        for (int ibl = 0; ibl < n / 256; ++ibl) {
            int xbl = xOff + 256 * ibl, y = BLOCK_BYTES * ibl;
            float sigma2 = GridMath.sigma2(x, xbl);
            float maxScale = 0;
            for (int ib = 0; ib < 8; ++ib) {
                int xb = xbl + 32 * ib;
                for (int i = 0; i < 32; ++i) {
                    weight[i] = GridMath.importance(fused, quantWeights, 256 * ibl + 32 * ib + i, sigma2, x[xb + i]);
                }
                block.search(x, xb, weight, index);
                int h = 0;
                for (int k = 0; k < 4; ++k) {
                    out[y + 2 + 4 * ib + k] = (byte) index[k];
                    h |= (index[k] >> 8) << 3 * k;
                }
                put16(out, y + 34 + 2 * ib, h);
                scales[ib] = block.scale;
                shifts[ib] = block.shift;
                maxScale = GridMath.cMax(maxScale, block.scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 15;
            putHalf(out, y, d * 1.125f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ++ib) {
                int l = Math.max(0, Math.min(7, GridMath.nearestOddLevel(fused, id, scales[ib])));
                if (shifts[ib] == -1) l |= 8;
                int q = y + 34 + 2 * ib;
                put16(out, q, u16(out, q) | l << 12);
            }
        }
    }
}
