package kiln.tensor.codec.grid;

/**
 * The signs of a group of 8 values, as ggml's IQ2 and IQ3 quantizers fold them before the grid search: {@code xval = |x|}
 * and one sign bit per negative value. With {@code evenParity} (IQ2_XXS, IQ2_XS, IQ3_XXS: 7 sign bits stored, the 8th
 * implied by an even count) an odd number of minus signs is made even by flipping the value of least {@code w·x²}
 * (the first of equal ones), whose xval becomes negative.
 */
final class GridSigns {
    private GridSigns() {}

    /**
     * Folds {@code x[xOff..xOff+8)} into {@code xval[xvOff..xvOff+8)} with weights {@code weight[wOff..wOff+8)} (read
     * only with {@code evenParity}); returns the 8 sign bits (the caller keeps the low 7 when the parity is implied).
     */
    static int fold(float[] x, int xOff, float[] weight, int wOff, float[] xval, int xvOff, boolean evenParity) {
        int negatives = 0, s = 0;
        for (int i = 0; i < 8; ++i) {
            float v = x[xOff + i];
            if (v >= 0) {
                xval[xvOff + i] = v;
            } else {
                xval[xvOff + i] = -v;
                ++negatives;
                s |= 1 << i;
            }
        }
        if (evenParity && (negatives & 1) != 0) {
            int imin = 0;
            float min = weight[wOff] * x[xOff] * x[xOff];
            for (int i = 1; i < 8; ++i) {
                float ax = weight[wOff + i] * x[xOff + i] * x[xOff + i];
                if (ax < min) {
                    min = ax;
                    imin = i;
                }
            }
            xval[xvOff + imin] = -xval[xvOff + imin];
            s ^= 1 << imin;
        }
        return s;
    }
}
