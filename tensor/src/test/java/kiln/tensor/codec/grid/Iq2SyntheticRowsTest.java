package kiln.tensor.codec.grid;

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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IQ2 quantizers of both flavours on synthetic rows that no fixture holds — heavy tails, sparse rows, zero and
 * negative-zero super-blocks, values below the groups' thresholds, a huge value, exact rounding ties, zero weights —
 * against each tool's own quantizer on the same rows ({@code iq2-synthetic-reference.sha256}, whose header says how it
 * was made; the generator below is the C program's, operation for operation, so the rows are the same floats).
 */
class Iq2SyntheticRowsTest {
    private static final int N = 1024, ROWS = 24;

    @TestFactory
    List<DynamicTest> everyChunkMatchesTheToolsQuantizer() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String[] f : lines()) {
            Flavor flavor = Flavor.parse(f[0]);
            GgmlType type = GgmlType.valueOf(f[1]);
            int mode = Integer.parseInt(f[2]), dist = Integer.parseInt(f[3]);
            tests.add(DynamicTest.dynamicTest(f[0] + " " + type + " weights " + mode + " rows " + dist,
                    () -> assertEquals(f[4], GridReferenceFiles.sha256(quantize(flavor, type, mode, dist)))));
        }
        return tests;
    }

    /** Both flavours, all three types, with weights and (where the tool allows) without. */
    @Test
    void listCoversEveryTypeAndFlavour() throws IOException {
        List<String[]> lines = lines();
        for (String flavor : List.of("mainline", "ik")) {
            for (String type : List.of("IQ2_XXS", "IQ2_XS", "IQ2_S")) {
                assertTrue(lines.stream().anyMatch(f -> f[0].equals(flavor) && f[1].equals(type) && !f[2].equals("0")), flavor + " " + type);
                boolean withoutWeights = flavor.equals("ik") || type.equals("IQ2_S");
                assertEquals(withoutWeights, lines.stream().anyMatch(f -> f[0].equals(flavor) && f[1].equals(type) && f[2].equals("0")), flavor + " " + type);
            }
        }
    }

    private static byte[] quantize(Flavor flavor, GgmlType type, int mode, int dist) {
        RowCodec codec = Codecs.require(type, flavor);
        int t = type == GgmlType.IQ2_XXS ? 0 : type == GgmlType.IQ2_XS ? 1 : 2;
        Generator g = new Generator(0x9E3779B97F4A7C15L ^ (1000 * t + 100 * mode + dist));
        long rowBytes = type.rowSize(N);
        byte[] out = new byte[Math.toIntExact(ROWS * rowBytes)];
        float[] x = new float[N], w = new float[N];
        for (int r = 0; r < ROWS; ++r) {
            g.row(dist, r, x);
            if (mode != 0) g.weights(mode, w);
            codec.quantize(x, 0, MemorySegment.ofArray(out), r * rowBytes, N, mode != 0 ? w : null);
        }
        return out;
    }

    /** The C program's xorshift64* and its float recipes, each operation in the same order. */
    private static final class Generator {
        private long s;

        Generator(long seed) {
            s = seed;
        }

        private long next() {
            s ^= s >>> 12;
            s ^= s << 25;
            s ^= s >>> 27;
            return s * 2685821657736338717L;
        }

        private float uniform() {
            return (float) (next() >>> 40) * 0x1p-24f;
        }

        private float gauss() {
            float a = uniform(), b = uniform(), c = uniform(), d = uniform();
            return a + b + c + d - 2.0f;
        }

        void row(int dist, int r, float[] x) {
            float scale = (float) (1 << (r % 7)) * 0.125f;
            for (int i = 0; i < N; ++i) {
                float v;
                switch (dist) {
                    case 0 -> v = uniform() * 2.0f - 1.0f;
                    case 1 -> v = gauss();
                    case 2 -> {
                        float g = gauss();
                        v = g / (uniform() + 0.01f);
                    }
                    case 3 -> {
                        float u = uniform();
                        float g = gauss();
                        v = u < 0.8f ? 0.0f : g;
                    }
                    default -> {
                        int p = (r + i / 256) % 8;
                        float g = gauss();
                        v = switch (p) {
                            case 0 -> 0.0f;
                            case 1 -> -0.0f;
                            case 2 -> g * 1e-10f;
                            case 3 -> g * 1e-30f;
                            case 4 -> 0.5f;
                            case 5 -> i % 256 == 7 ? 1e6f : g;
                            case 6 -> g * 1e-20f;
                            default -> (float) (int) (g * 8.0f) * 0.25f;
                        };
                    }
                }
                x[i] = v * scale;
            }
        }

        void weights(int mode, float[] w) {
            for (int i = 0; i < N; ++i) {
                float u = uniform();
                w[i] = mode == 1 ? u + 0.1f : mode == 2 ? (u < 0.3f ? 0.0f : u) : (i >= 256 && i < 288 ? 0.0f : u + 0.1f);
            }
        }
    }

    private static List<String[]> lines() throws IOException {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                Iq2SyntheticRowsTest.class.getResourceAsStream("iq2-synthetic-reference.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) out.add(line.trim().split("\\s+"));
            }
        }
        return out;
    }
}
