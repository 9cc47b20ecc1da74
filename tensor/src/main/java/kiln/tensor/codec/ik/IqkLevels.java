package kiln.tensor.codec.ik;

import static kiln.tensor.codec.QuantMath.cTruncToInt;

/**
 * The non-linear levels of one IQ*_K type: a plain table and its "shifted" twin (the block's {@code extra} bit picks
 * one), with ik's {@code best_index_iq*nl} nearest-level lookup. Table 0 is the plain one, table 1 the shifted one.
 */
abstract class IqkLevels {
    /** Levels per table. */
    final int count;

    IqkLevels(int count) {
        this.count = count;
    }

    /** Level {@code l} of table {@code table} (0 plain, 1 shifted). */
    abstract float value(int table, int l);

    /** The nearest level to {@code x} in {@code table}, as ik's {@code best_index_iq*nl} picks it. */
    abstract int bestIndex(int table, float x);

    /**
     * IQ3_K, IQ4_K, IQ5_K: int8 levels ({@code values}: plain then shifted) with ik's lookup table {@code index}
     * over {@code (int)x - values[0]}: the nearest level, or {@code count + k} when x lies between levels k and k+1.
     */
    static IqkLevels indexed(byte[] values, byte[] index) {
        int n = values.length / 2;
        return new IqkLevels(n) {
            @Override
            float value(int table, int l) {
                return values[n * table + l];
            }

            @Override
            int bestIndex(int table, float x) {
                int base = n * table;
                int ix = cTruncToInt(x) - values[base];
                if (ix < 0 || ix >= index.length) return ix < 0 ? 0 : n - 1;
                ix = index[ix];
                if (ix < n) return ix;
                return x - values[base + ix - n] < values[base + ix - n + 1] - x ? ix - n : ix - n + 1;
            }
        };
    }
}
