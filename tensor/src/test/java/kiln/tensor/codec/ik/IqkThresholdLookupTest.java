package kiln.tensor.codec.ik;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector searches find ik's nearest level by thresholds ({@link IqkLevels#indexByThresholds},
 * {@link IqkTrySumsVector#level}); both must return {@link IqkLevels#bestIndex}'s level for every float of magnitude
 * below {@link IqkLevels#LOOKUP_LIMIT}, on the plain and the shifted table of every IQ*_K level set. Checked at the
 * integers and half-integers (the lookup's buckets), the midpoints between levels and the thresholds, each ± 64 ulps,
 * the table edges, ±0, subnormals, the domain's ends, and random values (uniform and random bit patterns).
 */
class IqkThresholdLookupTest {

    static final List<IqkLevels> ALL = List.of(IkIq2K.LEVELS, IkIq3K.LEVELS, IkIq4K.LEVELS, IkIq5K.LEVELS, IkIq6K.LEVELS);

    @Test
    void thresholdsGiveBestIndex() {
        for (IqkLevels lv : ALL) {
            for (int table = 0; table <= 1; table++) {
                float[] xs = probes(lv, table);
                for (float x : xs) {
                    assertEquals(lv.bestIndex(table, x), lv.indexByThresholds(table, x),
                            "levels " + lv.count + " table " + table + " x " + x + " (bits " + Float.floatToRawIntBits(x) + ")");
                }
            }
        }
    }

    @Test
    void vectorLookupGivesBestIndexLevel() {
        int L = FloatVector.SPECIES_PREFERRED.length();
        float[] got = new float[L];
        for (IqkLevels lv : ALL) {
            for (int table = 0; table <= 1; table++) {
                float[] xs = probes(lv, table);
                for (int i = 0; i + L <= xs.length; i += L) {
                    FloatVector a = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, i);
                    IqkTrySumsVector.level(a, lv.thresholds(table), lv.values(table)).intoArray(got, 0);
                    for (int l = 0; l < L; l++) {
                        float x = xs[i + l];
                        assertEquals(Float.floatToRawIntBits(lv.value(table, lv.bestIndex(table, x))),
                                Float.floatToRawIntBits(got[l]), "levels " + lv.count + " table " + table + " x " + x);
                    }
                }
            }
        }
    }

    /** The probe values for one table, all of magnitude below the lookup's limit. */
    static float[] probes(IqkLevels lv, int table) {
        List<Float> centres = new ArrayList<>();
        for (int i = -300; i <= 300; i++) {
            centres.add((float) i);
            centres.add(i + 0.5f);
        }
        float[] v = lv.values(table);
        for (int k = 0; k + 1 < v.length; k++) centres.add((v[k] + v[k + 1]) / 2);
        for (float t : lv.thresholds(table)) centres.add(t);
        for (float e : new float[] {v[0], v[v.length - 1], 0f, Float.MIN_VALUE, Float.MIN_NORMAL,
                1e-30f, 1e6f, Math.nextDown(IqkLevels.LOOKUP_LIMIT)}) {
            centres.add(e);
            centres.add(-e);
        }
        List<Float> out = new ArrayList<>();
        for (float c : centres) {
            float up = c, down = c;
            out.add(c);
            for (int u = 0; u < 64; u++) {
                up = Math.nextUp(up);
                down = Math.nextDown(down);
                out.add(up);
                out.add(down);
            }
        }
        SplittableRandom r = new SplittableRandom(4 + table);
        for (int i = 0; i < 500_000; i++) out.add((float) (r.nextDouble() * 600 - 300));
        while (out.size() % 64 != 0 || out.size() < 1_200_000) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Math.abs(f) < IqkLevels.LOOKUP_LIMIT) out.add(f);
        }
        out.removeIf(f -> !(Math.abs(f) < IqkLevels.LOOKUP_LIMIT));
        while (out.size() % 64 != 0) out.add(0f);
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) a[i] = out.get(i);
        return a;
    }
}
