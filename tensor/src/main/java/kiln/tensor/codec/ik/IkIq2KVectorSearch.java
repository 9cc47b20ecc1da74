package kiln.tensor.codec.ik;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ2_K's block search in vector lanes ({@link IkIq2K.BlockSearch}); loaded only when {@code jdk.incubator.vector}
 * is present.
 */
final class IkIq2KVectorSearch implements IkIq2K.BlockSearch {
    private IkIq2KVectorSearch() {}

    static IkIq2K.BlockSearch create() {
        return new IkIq2KVectorSearch();
    }

    /**
     * The best scale of one block: every split i1 ≤ i2 ≤ i3 of its values sorted ascending into four runs mapped to
     * the levels in order or reversed, on both tables. Returns the scale; {@code s.shifted} says whether the shifted
     * table won. For each (i1, i2) all i3 and the four variants are scored in vector lanes first, with the same
     * roundings as the scalar sums; only a row holding a candidate that beats the best so far is then walked in ik's
     * order ({@link IkIq2K#scanRow}), so the result is the scalar search's ({@link IkIq2K#searchScalar}) to the bit:
     * a row with no such candidate changes nothing in the scalar walk either.
     */
    public float search(float[] x, int xo, float[] weight, IkIq2K.Scratch s) {
        IkIq2K.sortedSums(x, xo, weight, s);
        final float[] sumx = s.sumx, sumw = s.sumw, v = IkIq2K.VARIANTS;
        final VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        s.best = 0;
        s.d = 0;
        s.shifted = false;
        for (int i1 = 0; i1 < 16; ++i1) {
            for (int i2 = i1; i2 < 16; ++i2) {
                float x0 = sumx[i1] - sumx[0], x1 = sumx[i2] - sumx[i1];
                float w0 = sumw[i1] - sumw[0], w1 = sumw[i2] - sumw[i1];
                boolean beats = false;
                for (int j = i2; j < 16 && !beats; j += sp.length()) {
                    VectorMask<Float> lanes = sp.indexInRange(j, 16);
                    FloatVector sx = FloatVector.fromArray(sp, sumx, j, lanes), sw = FloatVector.fromArray(sp, sumw, j, lanes);
                    FloatVector x2 = sx.sub(sumx[i2]), x3 = FloatVector.broadcast(sp, sumx[16]).sub(sx);
                    FloatVector w2 = sw.sub(sumw[i2]), w3 = FloatVector.broadcast(sp, sumw[16]).sub(sw);
                    for (int k = 0; k < 4 && !beats; ++k) {
                        float v0 = v[4 * k], v1 = v[4 * k + 1], v2 = v[4 * k + 2], v3 = v[4 * k + 3];
                        float hx = Math.fma(x0, v0, x1 * v1), hw = Math.fma(w0 * v0, v0, (w1 * v1) * v1);
                        FloatVector sumqx = x3.fma(FloatVector.broadcast(sp, v3), x2.fma(v2, hx));
                        FloatVector sumq2 = w3.mul(v3).fma(FloatVector.broadcast(sp, v3), w2.mul(v2).fma(v2, hw));
                        VectorMask<Float> better = sumq2.compare(VectorOperators.GT, 0f, lanes)
                                .and(sumqx.mul(sumqx).compare(VectorOperators.GT, sumq2.mul(s.best)));
                        beats = better.anyTrue();
                    }
                }
                if (beats) IkIq2K.scanRow(i1, i2, s);
            }
        }
        return s.d;
    }

    /** The vector search's result for tests, on a fresh scratch. */
    static float searchBlockVector(float[] x, int xo, float[] weight, boolean[] shifted) {
        IkIq2K.Scratch s = new IkIq2K.Scratch();
        float d = new IkIq2KVectorSearch().search(x, xo, weight, s);
        shifted[0] = s.shifted;
        return d;
    }
}
