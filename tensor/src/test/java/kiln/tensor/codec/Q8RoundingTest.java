package kiln.tensor.codec;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Q8_0's branch-free rounding ({@code LegacyQuants.roundHalfAway}) against C's {@code roundf} as {@link QuantMath}
 * reproduces it, over Q8_0's range: every half and its neighbouring floats, a fine grid, and random values.
 */
class Q8RoundingTest {

    private static void check(float v) {
        assertEquals(QuantMath.cTruncToInt(QuantMath.roundf(v)), LegacyQuants.roundHalfAway(v), () -> "v = " + v);
    }

    @Test
    void equalsRoundfOverQ8Range() {
        for (int k = -260; k <= 260; k++) {
            float half = k / 2f;
            check(half);
            float up = half, down = half;
            for (int i = 0; i < 4; i++) {
                up = Math.nextUp(up);
                down = Math.nextDown(down);
                check(up);
                check(down);
            }
        }
        for (float v = -128; v <= 128; v += 1f / 65536) check(v);
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < 1_000_000; i++) check((float) ((r.nextDouble() * 2 - 1) * 128));
        check(0f);
        check(-0f);
        check(Float.MIN_VALUE);
        check(-Float.MIN_VALUE);
    }
}
