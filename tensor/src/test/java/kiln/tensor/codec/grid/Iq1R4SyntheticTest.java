package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * IQ1_S_R4 and IQ1_M_R4 on synthetic groups no fixture holds — zero blocks and rows, quiet halves, values around the
 * 1e-14 thresholds, imatrix entries that vanish where x does not — against ik's {@code quantize_iq1_s_r4} /
 * {@code quantize_iq1_m_r4} on the same floats ({@code iq1-r4-synthetic.sha256}, whose header says how it was made; the
 * generator below is the C program's, operation for operation); and the codec's refusals.
 */
class Iq1R4SyntheticTest {
    private static final int N = 64, GROUPS = 4;

    @TestFactory
    List<DynamicTest> everyGroupMatchesIk() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String[] f : lines()) {
            GgmlType type = GgmlType.valueOf(f[0]);
            int mode = Integer.parseInt(f[1]);
            tests.add(DynamicTest.dynamicTest(type + " weights " + mode, () -> {
                byte[] bytes = quantize(type, mode);
                assertEquals(Integer.parseInt(f[2]), bytes.length, "bytes");
                assertEquals(f[3], GridReferenceFiles.sha256(bytes));
            }));
        }
        return tests;
    }

    @Test
    void refusesWhatIkWouldAssertOrGarble() {
        RowCodec codec = Codecs.require(GgmlType.IQ1_S_R4, Flavor.IK);
        MemorySegment dst = MemorySegment.ofArray(new byte[1024]);
        assertThrows(KilnException.class, () -> codec.quantize(new float[96], 0, dst, 0, 96, null), "not 4 rows of 32-value blocks");
        assertThrows(KilnException.class, () -> codec.quantize(new float[4 * 48], 0, dst, 0, 4 * 48, null), "rows of 48");
        assertThrows(KilnException.class, () -> codec.quantize(new float[256], 0, dst, 0, 256, new float[32]), "short weights");
        float[] nan = new float[256];
        nan[77] = Float.NaN;
        assertThrows(KilnException.class, () -> codec.quantize(nan, 0, dst, 0, 256, null), "NaN input");
        float[] inf = new float[64];
        inf[3] = Float.POSITIVE_INFINITY;
        assertThrows(KilnException.class, () -> codec.quantize(new float[256], 0, dst, 0, 256, inf), "Inf weight");
    }

    private static byte[] quantize(GgmlType type, int mode) {
        RowCodec codec = Codecs.require(type, Flavor.IK);
        long groupBytes = 4 * type.rowSize(N);
        byte[] out = new byte[Math.toIntExact(GROUPS * groupBytes)];
        float[] x = new float[4 * N], w = new float[N];
        for (int g = 0; g < GROUPS; g++) {
            for (int r = 0; r < 4; r++) for (int j = 0; j < N; j++) x[r * N + j] = value(g, r, j);
            for (int j = 0; j < N; j++) w[j] = weight(mode, j);
            codec.quantize(x, 0, MemorySegment.ofArray(out), g * groupBytes, 4 * N, mode != 0 ? w : null);
        }
        return out;
    }

    private static float value(int g, int r, int j) {
        float x = (float) ((j * 37 + r * 11 + g * 5) % 29 - 14) * 0.0625f + (float) ((j * 13 + r * 7) % 5) * 0.001953125f;
        if (g == 1 && ((r == 1 && j >= 32) || r == 3)) x = 0;
        if (g == 2 && ((r == 2 && j < 16) || (r == 3 && j >= 48))) x = 0;
        if (g == 3 && j < 32) {
            if (r == 0) x = j % 2 != 0 ? 1e-9f : -1e-9f;
            if (r == 1) x = j % 3 != 0 ? 3e-8f : -3e-8f;
            if (r == 2) x = j < 16 ? (j % 2 != 0 ? 2e-8f : -2e-8f) : (j % 3 != 0 ? 3e-8f : -3e-8f);
        }
        return x;
    }

    private static float weight(int mode, int j) {
        if (mode == 1) return 0.5f + (float) (j % 9) * 0.125f;
        return j >= 32 || j < 16 ? 0.0f : 1.0f + (float) (j % 3) * 0.25f;
    }

    private static List<String[]> lines() throws IOException {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                Iq1R4SyntheticTest.class.getResourceAsStream("iq1-r4-synthetic.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) out.add(line.trim().split("\\s+"));
            }
        }
        return out;
    }
}
