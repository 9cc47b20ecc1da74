package kiln.tensor.codec.ik;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link TrellisLaneScan} in 8 Vector API lanes, as ik's AVX2 loop: lane i scores scan positions p ≡ i (mod 8)
 * with ik's per-point float arithmetic, each value cut from its column pair with one integer operation. The loop
 * body is written out (no helper calls) so that C2 inlines all of it and keeps the vectors in registers. 16 lanes
 * folded into 8 were slower on the 2-core Zen 4 (its 512-bit operations are double-pumped: 0.8-1.3 against 1.3-1.4 M
 * weights/s for IQ2_KT). Only loaded where {@code jdk.incubator.vector} is present ({@link TrellisLaneScan#BEST}, by {@link VectorModule#PRESENT}).
 */
final class TrellisLaneScanVector implements TrellisLaneScan {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /** The upper half of a column pair. */
    private static final int HIGH = 0xffff0000;

    @Override
    public void laneMinima(int[] c, int npoint, int group, float[] sx, float[] w, int wl, float[] laneBest, int[] laneIndex) {
        if (group == 8) laneMinima8(c, npoint, sx, w, wl, laneBest, laneIndex);
        else laneMinima4(c, npoint, sx, w, wl, laneBest, laneIndex);
    }

    /** Groups of 8: {@code hsum_float_8x8}'s order. */
    private static void laneMinima8(int[] c, int n, float[] sx, float[] w, int wl, float[] laneBest, int[] laneIndex) {
        float x0 = sx[0], x1 = sx[1], x2 = sx[2], x3 = sx[3], x4 = sx[4], x5 = sx[5], x6 = sx[6], x7 = sx[7];
        float w0 = w[wl], w1 = w[wl + 1], w2 = w[wl + 2], w3 = w[wl + 3], w4 = w[wl + 4], w5 = w[wl + 5], w6 = w[wl + 6], w7 = w[wl + 7];
        FloatVector best = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        IntVector index = IntVector.broadcast(I, -1), lane = IntVector.zero(I).addIndex(1);
        for (int p = 0; p < n; p += 8) {
            IntVector c01 = IntVector.fromArray(I, c, p), c23 = IntVector.fromArray(I, c, n + p);
            IntVector c45 = IntVector.fromArray(I, c, 2 * n + p), c67 = IntVector.fromArray(I, c, 3 * n + p);
            FloatVector d0 = c01.and(HIGH).reinterpretAsFloats().sub(x0), d1 = c01.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x1);
            FloatVector d2 = c23.and(HIGH).reinterpretAsFloats().sub(x2), d3 = c23.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x3);
            FloatVector d4 = c45.and(HIGH).reinterpretAsFloats().sub(x4), d5 = c45.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x5);
            FloatVector d6 = c67.and(HIGH).reinterpretAsFloats().sub(x6), d7 = c67.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x7);
            FloatVector s0 = d0.mul(d0).mul(w0), s1 = d1.mul(d1).mul(w1), s2 = d2.mul(d2).mul(w2), s3 = d3.mul(d3).mul(w3);
            FloatVector s4 = d4.mul(d4).mul(w4), s5 = d5.mul(d5).mul(w5), s6 = d6.mul(d6).mul(w6), s7 = d7.mul(d7).mul(w7);
            FloatVector score = s0.add(s4).add(s2.add(s6)).add(s1.add(s5).add(s3.add(s7)));
            VectorMask<Float> lower = score.compare(VectorOperators.LT, best);
            best = best.blend(score, lower);
            index = index.blend(lane.add(p), lower.cast(I));
        }
        best.intoArray(laneBest, 0);
        index.intoArray(laneIndex, 0);
    }

    /** Groups of 4: {@code hsum_float_4x8}'s (s0+s2)+(s1+s3). */
    private static void laneMinima4(int[] c, int n, float[] sx, float[] w, int wl, float[] laneBest, int[] laneIndex) {
        float x0 = sx[0], x1 = sx[1], x2 = sx[2], x3 = sx[3];
        float w0 = w[wl], w1 = w[wl + 1], w2 = w[wl + 2], w3 = w[wl + 3];
        FloatVector best = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        IntVector index = IntVector.broadcast(I, -1), lane = IntVector.zero(I).addIndex(1);
        for (int p = 0; p < n; p += 8) {
            IntVector c01 = IntVector.fromArray(I, c, p), c23 = IntVector.fromArray(I, c, n + p);
            FloatVector d0 = c01.and(HIGH).reinterpretAsFloats().sub(x0), d1 = c01.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x1);
            FloatVector d2 = c23.and(HIGH).reinterpretAsFloats().sub(x2), d3 = c23.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(x3);
            FloatVector s0 = d0.mul(d0).mul(w0), s1 = d1.mul(d1).mul(w1), s2 = d2.mul(d2).mul(w2), s3 = d3.mul(d3).mul(w3);
            FloatVector score = s0.add(s2).add(s1.add(s3));
            VectorMask<Float> lower = score.compare(VectorOperators.LT, best);
            best = best.blend(score, lower);
            index = index.blend(lane.add(p), lower.cast(I));
        }
        best.intoArray(laneBest, 0);
        index.intoArray(laneIndex, 0);
    }
}
