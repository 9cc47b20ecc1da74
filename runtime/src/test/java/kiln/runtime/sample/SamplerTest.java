package kiln.runtime.sample;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.9f, -5f, 0.5f, 2.0f};

    @Test
    void zeroTemperatureIsArgmax() {
        assertEquals(1, new Sampler(LOGITS.length, 0, 40, 0.95f, 0.05f, 1).sample(LOGITS));
    }

    @Test
    void topKOneIsArgmaxAtAnyTemperature() {
        Sampler s = new Sampler(LOGITS.length, 5.0f, 1, 1.0f, 0.0f, 7);
        for (int i = 0; i < 50; i++) assertEquals(1, s.sample(LOGITS));
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(LOGITS.length, 1.0f, 0, 1.0f, 0.0f, 42), b = new Sampler(LOGITS.length, 1.0f, 0, 1.0f, 0.0f, 42);
        for (int i = 0; i < 100; i++) assertEquals(a.sample(LOGITS), b.sample(LOGITS));
    }

    @Test
    void filtersKeepOnlyTheirCandidates() {
        // min-p 0.5: p(i)/p(max) ≥ 0.5 keeps ids 1 (3.0) and 2 (2.9) only (e^-1 ≈ 0.37 < 0.5 for id 5)
        Sampler minP = new Sampler(LOGITS.length, 1.0f, 0, 1.0f, 0.5f, 3);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) seen.add(minP.sample(LOGITS));
        assertEquals(Set.of(1, 2), seen);
        // top-k 3 keeps ids 1, 2, 5
        Sampler topK = new Sampler(LOGITS.length, 1.0f, 3, 1.0f, 0.0f, 4);
        seen.clear();
        for (int i = 0; i < 1000; i++) seen.add(topK.sample(LOGITS));
        assertEquals(Set.of(1, 2, 5), seen);
        // top-p 0.5: the two best (≈ 0.34 + 0.31) reach 0.5
        Sampler topP = new Sampler(LOGITS.length, 1.0f, 0, 0.5f, 0.0f, 5);
        seen.clear();
        for (int i = 0; i < 1000; i++) seen.add(topP.sample(LOGITS));
        assertEquals(Set.of(1, 2), seen);
    }
}
