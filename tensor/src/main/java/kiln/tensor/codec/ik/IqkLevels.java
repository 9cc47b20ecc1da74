package kiln.tensor.codec.ik;

import static kiln.tensor.codec.QuantMath.cTruncToInt;

/**
 * The non-linear levels of one IQ*_K type: a plain table and its "shifted" twin (the block's {@code extra} bit picks
 * one), with ik's {@code best_index_iq*nl} nearest-level lookup. Table 0 is the plain one, table 1 the shifted one.
 * One final class (the search's hot loop calls it for every value, so its calls stay monomorphic).
 */
final class IqkLevels {
    /** Levels per table. */
    final int count;
    /** Plain then shifted levels. */
    private final float[] values;
    /** ik's lookup table over the offset from the first level: the nearest level, or count + k between k and k+1. */
    private final short[] index;
    /** IQ6_K's lookup truncates {@code x - values[0]}; the others truncate x first. */
    private final boolean truncateDifference;

    private IqkLevels(float[] values, short[] index, boolean truncateDifference) {
        this.count = values.length / 2;
        this.values = values;
        this.index = index;
        this.truncateDifference = truncateDifference;
    }

    /**
     * IQ3_K, IQ4_K, IQ5_K: int8 levels ({@code values}: plain then shifted) with ik's lookup table {@code index}
     * over {@code (int)x - values[0]}.
     */
    static IqkLevels indexed(byte[] values, byte[] index) {
        short[] ix = new short[index.length];
        for (int i = 0; i < ix.length; i++) ix[i] = index[i];
        return new IqkLevels(floats(values), ix, false);
    }

    /** IQ6_K: float levels with {@code best_index_iq6nl}'s table over {@code (int)(x - values[0])}. */
    static IqkLevels indexedOnDifference(float[] values, short[] index) {
        return new IqkLevels(values, index, true);
    }

    /** IQ2_K: 4 levels, {@code best_index_iq2nl}'s comparisons. */
    static IqkLevels fourLevels(byte[] values) {
        return new IqkLevels(floats(values), null, false);
    }

    private static float[] floats(byte[] b) {
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = b[i];
        return f;
    }

    /** Level {@code l} of table {@code table} (0 plain, 1 shifted). */
    float value(int table, int l) {
        return values[count * table + l];
    }

    /** The nearest level to {@code x} in {@code table}, as ik's {@code best_index_iq*nl} picks it. */
    int bestIndex(int table, float x) {
        final int n = count, base = n * table;
        final float[] v = values;
        if (index == null) { // best_index_iq2nl
            int idx = x < v[base + 1] ? 0 : x > v[base + 2] ? 2 : 1;
            return x - v[base + idx] < v[base + idx + 1] - x ? idx : idx + 1;
        }
        int ix = truncateDifference ? cTruncToInt(x - v[base]) : cTruncToInt(x) - (int) v[base];
        if (ix < 0 || ix >= index.length) return ix < 0 ? 0 : n - 1;
        ix = index[ix];
        if (ix < n) return ix;
        return x - v[base + ix - n] < v[base + ix - n + 1] - x ? ix - n : ix - n + 1;
    }
}
