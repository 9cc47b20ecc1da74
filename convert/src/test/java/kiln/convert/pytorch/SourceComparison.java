package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Asserts that two sources hold the same tensors (names, dtypes, shapes, bytes). */
public final class SourceComparison {
    private SourceComparison() {}

    public static void assertSameTensors(HfSource expected, HfSource actual, boolean sameOrder) {
        if (sameOrder) {
            assertEquals(expected.tensors().stream().map(SourceTensor::name).toList(),
                    actual.tensors().stream().map(SourceTensor::name).toList(), "tensor order");
        }
        Map<String, SourceTensor> a = new TreeMap<>();
        for (SourceTensor t : actual.tensors()) a.put(t.name(), t);
        assertEquals(expected.tensors().size(), a.size(), "tensor count");
        for (SourceTensor e : expected.tensors()) {
            SourceTensor t = a.get(e.name());
            assertEquals(e.dtype(), t == null ? null : t.dtype(), "dtype of " + e.name());
            assertArrayEquals(e.shape(), t.shape(), "shape of " + e.name());
            long mismatch = e.data().mismatch(t.data());
            assertEquals(-1L, mismatch, () -> "bytes of " + e.name() + " differ at " + mismatch + " " + Arrays.toString(e.shape()));
        }
    }
}
