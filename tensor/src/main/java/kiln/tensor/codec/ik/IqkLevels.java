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

    /**
     * Per table, the {@code count - 1} thresholds of {@link #bestIndex}: on {@code |x| < }{@link #LOOKUP_LIMIT} it
     * returns the number of thresholds {@code t} with {@code x >= t} (plain, then shifted).
     */
    private final float[][] thresholds = new float[2][];
    /** Per table its levels (plain, then shifted). */
    private final float[][] tables = new float[2][];

    /** The bound of {@link #thresholds}' domain: below it in magnitude ik's lookup is monotone in x. */
    static final float LOOKUP_LIMIT = 0x1p24f;

    private IqkLevels(float[] values, short[] index, boolean truncateDifference) {
        this.count = values.length / 2;
        this.values = values;
        this.index = index;
        this.truncateDifference = truncateDifference;
        for (int table = 0; table <= 1; table++) {
            tables[table] = java.util.Arrays.copyOfRange(values, count * table, count * (table + 1));
            thresholds[table] = new float[count - 1];
            for (int k = 0; k < count - 1; k++) thresholds[table][k] = firstAbove(table, k);
        }
    }

    /**
     * The smallest float x with {@code |x| < LOOKUP_LIMIT} whose {@link #bestIndex} exceeds {@code k}, by bisection
     * over the floats in order (ik's lookup is monotone there: tests check it against {@link #bestIndex}).
     */
    private float firstAbove(int table, int k) {
        long lo = orderKey(-LOOKUP_LIMIT), hi = orderKey(Math.nextDown(LOOKUP_LIMIT)); // bestIndex(lo) <= k < (hi)
        while (hi - lo > 1) {
            int mid = (int) ((lo + hi) >> 1);
            if (bestIndex(table, fromOrderKey(mid)) > k) hi = mid; else lo = mid;
        }
        return fromOrderKey((int) hi);
    }

    /** The floats' order as ints (-0 just below +0). */
    private static int orderKey(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? ~b ^ Integer.MIN_VALUE : b;
    }

    private static float fromOrderKey(int k) {
        return Float.intBitsToFloat(k < 0 ? ~(k ^ Integer.MIN_VALUE) : k);
    }

    /** The {@code count - 1} thresholds of {@code table} (see {@link #thresholds}); shared, not to be written. */
    float[] thresholds(int table) {
        return thresholds[table];
    }

    /** The levels of {@code table}; shared, not to be written. */
    float[] values(int table) {
        return tables[table];
    }

    /**
     * {@link #bestIndex} by its thresholds, for {@code |x| < LOOKUP_LIMIT}: the count of thresholds at or below x
     * (the scalar twin of the vector searches' lookup; tests hold it to {@link #bestIndex}).
     */
    int indexByThresholds(int table, float x) {
        int i = 0;
        for (float t : thresholds[table]) if (x >= t) i++;
        return i;
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
