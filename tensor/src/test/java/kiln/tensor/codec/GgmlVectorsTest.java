package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Bit-exactness against vectors produced by ggml's own {@code ggml-quants.c} (see ggml-vectors/PROVENANCE.txt):
 * 8 rows × 512 floats chosen to hit every path (typical weights, positive-only and negative-only rows, grid values
 * with exact rounding ties, a wide dynamic range, and a row of awkward blocks: +0, -0, a huge value, subnormals,
 * values below GROUP_MAX_EPS, constant blocks, an fp16-overflowing 1e9) quantized per row with
 * {@code quantize_<type>(…, imatrix)} both without and with importance weights, and the reference dequantization
 * of those bytes. Unlike the fixture tests this runs without the fixtures and covers Q4_1, Q2_K, Q3_K, Q8_K and the
 * weighted Q4_0/Q4_1/Q5_1/Q2_K/Q3_K paths, which no fixture file exercises.
 */
class GgmlVectorsTest {
    private static final int ROWS = 8, COLS = 512;

    static Stream<Arguments> cases() {
        return Stream.of("q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "q8_K",
                        "iq4_nl", "iq4_xs")
                .flatMap(t -> Stream.of(Arguments.of(t, "ref"), Arguments.of(t, "imat")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void quantizeMatchesGgml(String typeName, String mode) throws IOException {
        GgmlType type = GgmlType.byName(typeName);
        RowCodec codec = Codecs.require(type, Flavor.MAINLINE);
        float[] x = floats(resource("input.f32"));
        float[] w = mode.equals("imat") ? floats(resource("weights.f32")) : null;
        byte[] expected = resource(typeName + "." + mode + ".bin");
        int rowBytes = (int) type.rowSize(COLS);
        assertEquals(ROWS * rowBytes, expected.length);
        byte[] actual = new byte[expected.length];
        for (int r = 0; r < ROWS; r++) {
            codec.quantize(x, r * COLS, MemorySegment.ofArray(actual), (long) r * rowBytes, COLS, w);
        }
        assertNull(FixtureQuant.firstDifference(expected, actual, rowBytes, type.typeSize()), typeName + " " + mode);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void dequantizeMatchesGgml(String typeName, String mode) throws IOException {
        GgmlType type = GgmlType.byName(typeName);
        byte[] bytes = resource(typeName + "." + mode + ".bin");
        float[] y = new float[ROWS * COLS];
        Codecs.require(type, Flavor.MAINLINE).dequantize(MemorySegment.ofArray(bytes), 0, y, 0, ROWS * COLS);
        ByteBuffer b = ByteBuffer.allocate(4 * y.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putInt(Float.floatToRawIntBits(v));
        String want = dequantizedSha256().get(typeName + "." + mode);
        assertNotNull(want);
        assertEquals(want, ReferenceFiles.sha256(b.array()), "dequantized " + typeName + " " + mode);
    }

    private static Map<String, String> dequantizedSha256() throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : new String(resource("dequantized.sha256"), StandardCharsets.US_ASCII).split("\n")) {
            String[] p = line.trim().split("\\s+");
            if (p.length == 2) m.put(p[1], p[0]);
        }
        return m;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = GgmlVectorsTest.class.getResourceAsStream("ggml-vectors/" + name)) {
            assertNotNull(in, "test resource ggml-vectors/" + name);
            return in.readAllBytes();
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

}
