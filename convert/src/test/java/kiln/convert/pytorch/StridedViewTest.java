package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.convert.source.SourceTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Views: transposed (non-contiguous) tensors come out row-major; tensors sharing a storage each see their part. */
class StridedViewTest {
    @TempDir
    Path dir;

    private static float[] floats(SourceTensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private Path model(boolean deflate) throws Exception {
        // storage 0: 0..11 as a 3x4 matrix; "t" is its transpose (4x3, strides (1, 4)), "row" is row 1 (offset 4),
        // "col" is column 2 (offset 2, stride 4), "m" the matrix itself; storage 1 holds a scalar.
        float[] s = new float[12];
        for (int i = 0; i < 12; i++) s[i] = i;
        byte[] p = new PickleBytes().proto(2).emptyDict().mark()
                .str("m").tensor("FloatStorage", "0", 12, 0, new long[] {3, 4}, new long[] {4, 1})
                .str("t").tensor("FloatStorage", "0", 12, 0, new long[] {4, 3}, new long[] {1, 4})
                .str("row").tensor("FloatStorage", "0", 12, 4, new long[] {4}, new long[] {1})
                .str("col").tensor("FloatStorage", "0", 12, 2, new long[] {3}, new long[] {4})
                .str("scalar").tensor("FloatStorage", "1", 1, 0, new long[] {}, new long[] {})
                .str("cube").tensor("FloatStorage", "0", 12, 0, new long[] {2, 2, 3}, new long[] {1, 2, 4})
                .setitems().stop().bytes();
        return new TorchBinWriter().deflate(deflate).pickle(p).storage("0", TorchBinWriter.floats(s)).storage("1", TorchBinWriter.floats(7.5f))
                .writeFolder(dir.resolve(deflate ? "deflated" : "stored"));
    }

    @Test
    void viewsComeOutRowMajor() throws Exception {
        for (boolean deflate : new boolean[] {false, true}) {
            try (HfSource s = PytorchSources.open(model(deflate))) {
                List<SourceTensor> t = s.tensors();
                assertEquals(List.of("m", "t", "row", "col", "scalar", "cube"), t.stream().map(SourceTensor::name).toList());
                assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, floats(t.get(0)));
                assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, floats(t.get(1)));
                assertArrayEquals(new long[] {4, 3}, t.get(1).shape());
                assertArrayEquals(new float[] {4, 5, 6, 7}, floats(t.get(2)));
                assertArrayEquals(new float[] {2, 6, 10}, floats(t.get(3)));
                assertArrayEquals(new float[] {7.5f}, floats(t.get(4)));
                assertArrayEquals(new long[] {}, t.get(4).shape());
                // cube[i][j][k] = storage[i + 2j + 4k]
                assertArrayEquals(new float[] {0, 4, 8, 2, 6, 10, 1, 5, 9, 3, 7, 11}, floats(t.get(5)));
                assertEquals("F32", t.get(5).dtype());
            }
        }
    }
}
