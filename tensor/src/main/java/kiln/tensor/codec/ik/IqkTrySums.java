package kiln.tensor.codec.ik;

/**
 * The sums of {@link IqkSearch}'s tries on one table: for each scale {@code ids[m]}, {@code m < count}, what
 * {@link IqkSearch#sums} puts at column m of {@code out} (Σw·q·x and Σw·q² for the levels nearest to ±id·x).
 * {@code max} is the block's value of largest magnitude. {@link #CHOSEN} is picked once: the vector lanes when
 * {@code jdk.incubator.vector} is present, else {@link #SCALAR}, the oracle.
 */
interface IqkTrySums {
    void sums(IqkSearch search, int table, float[] x, int xo, float[] w, float[] ids, int count, float max, float[] out);

    /** One try after the other, {@link IqkSearch#sums}. */
    IqkTrySums SCALAR = (search, table, x, xo, w, ids, count, max, out) -> {
        for (int m = 0; m < count; ++m) search.sums(x, xo, w, table, ids[m], out, m);
    };

    /** The sums the searches use. */
    IqkTrySums CHOSEN = VectorModule.PRESENT ? IqkTrySumsVector.create() : SCALAR;
}
