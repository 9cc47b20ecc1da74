package kiln.tensor.codec.grid;

/**
 * The value tables of ggml-common.h, derived from the grid points ({@link GridPoints}): {@code iq2xxs_grid},
 * {@code iq2xs_grid} and {@code iq2s_grid} (levels 8, 25, 43), {@code iq3xxs_grid} (4, 12, …, 52, 62),
 * {@code iq3s_grid} (1, 3, …, 15), {@code iq1s_grid} (−1, 0, 1), each flattened to one byte per value
 * (entry i at {@code [i*8, i*8+8)} or {@code [i*4, i*4+4)}), and {@code ksigns_iq2xs}. {@code GridsTest} checks
 * them against the SHA-256 of ggml-common.h's tables.
 */
public final class Grids {
    private Grids() {}

    public static final byte[] IQ2_XXS = expand(GridPoints.IQ2_XXS, 8, 2, new int[] {8, 25, 43});
    public static final byte[] IQ2_XS = expand(GridPoints.IQ2_XS, 8, 2, new int[] {8, 25, 43});
    public static final byte[] IQ2_S = expand(GridPoints.IQ2_S, 8, 2, new int[] {8, 25, 43});
    public static final byte[] IQ1 = expand(GridPoints.IQ1, 8, 2, new int[] {-1, 0, 1});
    public static final byte[] IQ3_XXS = expand(GridPoints.IQ3_XXS, 4, 3, new int[] {4, 12, 20, 28, 36, 44, 52, 62});
    public static final byte[] IQ3_S = expand(GridPoints.IQ3_S, 4, 3, new int[] {1, 3, 5, 7, 9, 11, 13, 15});

    /** {@code ksigns_iq2xs}: 7 sign bits and, in bit 7, their parity (an even number of minus signs in all 8). */
    public static final byte[] SIGNS = signs();

    private static byte[] expand(char[] points, int width, int bits, int[] levels) {
        byte[] out = new byte[points.length * width];
        int mask = (1 << bits) - 1;
        for (int i = 0; i < points.length; i++) {
            for (int j = 0; j < width; j++) out[i * width + j] = (byte) levels[(points[i] >> (bits * j)) & mask];
        }
        return out;
    }

    private static byte[] signs() {
        byte[] s = new byte[128];
        for (int i = 0; i < 128; i++) s[i] = (byte) (i | ((Integer.bitCount(i) & 1) << 7));
        return s;
    }
}
