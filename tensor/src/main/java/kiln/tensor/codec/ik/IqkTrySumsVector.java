package kiln.tensor.codec.ik;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link IqkTrySums} in vector lanes, one try per lane: each lane walks the block's values in j order with the same
 * product, the same nearest level and the same fused sums as {@link IqkSearch#sums}, so every lane's four sums are
 * the scalar ones to the bit. The nearest level is {@link IqkLevels#bestIndex}'s, found by its thresholds
 * ({@link IqkLevels#thresholds}: the level after the last threshold at or below the value), which hold for
 * {@code |value| < LOOKUP_LIMIT}; a block whose products could leave that range (|id·max| not below it) takes the
 * scalar sums. Loaded only when {@code jdk.incubator.vector} is present ({@link IqkTrySums#CHOSEN}).
 */
final class IqkTrySumsVector implements IqkTrySums {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private IqkTrySumsVector() {}

    static IqkTrySums create() {
        return new IqkTrySumsVector();
    }

    @Override
    public void sums(IqkSearch search, int table, float[] x, int xo, float[] w, float[] ids, int count, float max,
                     float[] out) {
        float amax = Math.abs(max);
        for (int m = 0; m < count; ++m) {
            if (!(Math.abs(ids[m]) * amax < IqkLevels.LOOKUP_LIMIT)) {
                SCALAR.sums(search, table, x, xo, w, ids, count, max, out);
                return;
            }
        }
        final IqkLevels levels = search.levels();
        final float[] t = levels.thresholds(table), v = levels.values(table);
        final int n = search.blockSize(), S = IqkSearch.Scratch.TRIES;
        for (int m0 = 0; m0 < count; m0 += SP.length()) {
            VectorMask<Float> lanes = SP.indexInRange(m0, count);
            FloatVector id = FloatVector.fromArray(SP, ids, m0, lanes);
            FloatVector qxP = FloatVector.zero(SP), q2P = qxP, qxM = qxP, q2M = qxP;
            for (int j = 0; j < n; ++j) {
                float wj = w[j];
                FloatVector xj = FloatVector.broadcast(SP, x[xo + j]);
                FloatVector al = id.mul(xj);
                FloatVector q = level(al, t, v);
                FloatVector wq = q.mul(wj);
                qxP = wq.fma(xj, qxP);
                q2P = wq.fma(q, q2P);
                q = level(al.neg(), t, v);
                wq = q.mul(wj);
                qxM = wq.fma(xj, qxM);
                q2M = wq.fma(q, q2M);
            }
            qxP.intoArray(out, m0, lanes);
            q2P.intoArray(out, S + m0, lanes);
            qxM.intoArray(out, 2 * S + m0, lanes);
            q2M.intoArray(out, 3 * S + m0, lanes);
        }
    }

    /** Per lane {@code v[i]}, i the number of thresholds {@code t} with {@code a >= t}. */
    static FloatVector level(FloatVector a, float[] t, float[] v) {
        FloatVector q = FloatVector.broadcast(SP, v[0]);
        for (int k = 0; k < t.length; ++k) q = q.blend(v[k + 1], a.compare(VectorOperators.GE, t[k]));
        return q;
    }
}
