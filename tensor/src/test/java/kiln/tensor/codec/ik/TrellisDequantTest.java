package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kiln's dequantization of the trellis types against ik_llama.cpp's {@code dequantize_row_iq*_kt} on synthetic rows
 * ({@link TrellisSyntheticRows}; {@code trellis-dequant-synthetic.sha256} says how ik's output was made). Needs no
 * fixture: the rows are regenerated from their seed and must first hash to what was fed to ik.
 */
class TrellisDequantTest {

    record Case(GgmlType type, String inputSha256, String f32Sha256) {}

    static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                TrellisDequantTest.class.getResourceAsStream("trellis-dequant-synthetic.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                cases.add(new Case(GgmlType.valueOf(f[0]), f[1], f[2]));
            }
        }
        return cases;
    }

    @TestFactory
    List<DynamicTest> dequantizationMatchesIks() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.type().toString(), () -> {
                byte[] rows = TrellisSyntheticRows.rows(c.type());
                assertEquals(c.inputSha256(), IkBuildReferenceTest.sha256(rows), "the synthetic rows differ from those fed to ik");
                assertEquals(c.f32Sha256(), IkBuildReferenceTest.sha256(IqkReferenceTest.dequantize(c.type(), rows, TrellisSyntheticRows.COLUMNS)),
                        "dequantized " + c.type());
            }));
        }
        return tests;
    }

    @Test
    void everyTrellisTypeIsCoveredAndReadable() throws IOException {
        List<Case> cases = cases();
        for (GgmlType t : TrellisSyntheticRows.TYPES) {
            assertTrue(cases.stream().anyMatch(c -> c.type() == t), t.toString());
            RowCodec codec = Codecs.find(t);
            assertTrue(codec instanceof TrellisCodec, t + ": " + codec);
            assertEquals(codec, Codecs.find(t, Flavor.IK));
        }
    }

    /** ik's x86 kernels read IQ2_KT / IQ3_KT with the row scale × 1.05 / × 1.01, the other two as stored. */
    @Test
    void kernelViewIsTheDequantizationOfTheScaledRowScale() {
        for (GgmlType t : TrellisSyntheticRows.TYPES) {
            float factor = t == GgmlType.IQ2_KT ? 1.05f : t == GgmlType.IQ3_KT ? 1.01f : 1f;
            byte[] rows = TrellisSyntheticRows.rows(t), scaled = rows.clone();
            int rowBytes = Math.toIntExact(t.rowSize(TrellisSyntheticRows.COLUMNS)), n = TrellisSyntheticRows.COLUMNS;
            ByteBuffer b = ByteBuffer.wrap(scaled).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < TrellisSyntheticRows.ROWS; r++) b.putFloat(r * rowBytes, b.getFloat(r * rowBytes) * factor);
            RowCodec kernels = IkKernelCodecs.forRuntime(t);
            float[] got = new float[n], want = new float[n];
            for (int r = 0; r < TrellisSyntheticRows.ROWS; r++) {
                kernels.dequantize(MemorySegment.ofArray(rows), (long) r * rowBytes, got, 0, n);
                Codecs.find(t).dequantize(MemorySegment.ofArray(scaled), (long) r * rowBytes, want, 0, n);
                assertArrayEquals(want, got, t + " row " + r);
            }
        }
        assertEquals(null, IkKernelCodecs.forRuntime(GgmlType.IQ4_KS));
    }

    @Test
    void partialRowsAreRefused() {
        RowCodec codec = Codecs.find(GgmlType.IQ2_KT);
        byte[] row = new byte[Math.toIntExact(GgmlType.IQ2_KT.rowSize(256))];
        assertThrows(IllegalArgumentException.class, () -> codec.dequantize(MemorySegment.ofArray(row), 0, new float[128], 0, 128));
    }
}
