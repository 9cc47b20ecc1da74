package kiln.tensor.codec.grid;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.TensorInfo;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kiln's decoders of the grid types (and of ik's four-row IQ1_S_R4/IQ1_M_R4) against ik_llama.cpp's: deterministic random
 * blocks ({@link #blocks}) in every 2-D tensor of tiny-llama, each tensor in one of the nine types, turned to f32 by ik's
 * {@code llama-quantize --allow-requantize --pure IN.gguf OUT.gguf F32} ({@code grid-dequant-reference.sha256}: its
 * header says how). The test rebuilds the same bytes and needs no fixture; {@link #writeReferenceInput} wrote the input
 * file (run with {@code -Dkiln.gridDequantInput=PATH}, fixtures present).
 */
class GridDequantReferenceTest {

    static final List<GgmlType> TYPES = List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS,
            GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ1_S_R4, GgmlType.IQ1_M_R4);

    record Case(GgmlType type, String tensor, long cols, long rows, String sha256) {}

    /**
     * Random bytes for a tensor with valid, small positive fp16 scales: the block's d (the row group's four d for the
     * four-row types; IQ1_M's scale nibbles), seeded by the tensor's name.
     */
    static byte[] blocks(GgmlType type, String tensor, long cols, long rows) {
        SplittableRandom r = new SplittableRandom(tensor.hashCode() * 31L + type.id());
        byte[] b = new byte[Math.toIntExact(type.rowSize(cols) * rows)];
        r.nextBytes(b);
        if (type.isInterleaved()) {
            long group = type.rowSize(cols) * 4;
            for (long g = 0; g < rows / 4; g++) for (int k = 0; k < 4; k++) putHalf(b, (int) (g * group) + 2 * k, scale(r));
        } else {
            for (int o = 0; o < b.length; o += type.typeSize()) {
                short h = scale(r);
                if (type == GgmlType.IQ1_M) {
                    for (int i = 0; i < 4; i++) b[o + 49 + 2 * i] = (byte) ((b[o + 49 + 2 * i] & 0x0F) | ((h >> 4 * i) & 0xF) << 4);
                } else {
                    putHalf(b, o, h);
                }
            }
        }
        return b;
    }

    private static short scale(SplittableRandom r) {
        return Fp16.floatToHalf((float) (0.001 + 0.02 * r.nextDouble()));
    }

    private static void putHalf(byte[] b, int o, short h) {
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >> 8);
    }

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                GridDequantReferenceTest.class.getResourceAsStream("grid-dequant-reference.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                out.add(new Case(GgmlType.valueOf(f[0]), f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]));
            }
        }
        return out;
    }

    @TestFactory
    List<DynamicTest> decodersMatchIks() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.type() + " " + c.tensor(), () -> {
                byte[] bytes = blocks(c.type(), c.tensor(), c.cols(), c.rows());
                RowCodec codec = Codecs.find(c.type());
                int cols = Math.toIntExact(c.cols()), rowsPerCall = Math.max(1, c.type().interleave());
                float[] y = new float[Math.toIntExact(c.cols() * c.rows())];
                long callBytes = c.type().rowSize(cols) * rowsPerCall;
                for (int i = 0; i < c.rows() / rowsPerCall; i++) {
                    codec.dequantize(MemorySegment.ofArray(bytes), i * callBytes, y, i * rowsPerCall * cols, rowsPerCall * cols);
                }
                assertEquals(c.sha256(), sha256(y), c.type() + " " + c.tensor());
            }));
        }
        return tests;
    }

    @Test
    void everyTypeIsCovered() throws IOException {
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (Case c : cases()) seen.add(c.type());
        assertEquals(EnumSet.copyOf(TYPES), seen);
    }

    /** Writes tiny-llama with its 2-D tensors replaced by random grid blocks, the type cycling through {@link #TYPES}. */
    @Test
    @EnabledIfSystemProperty(named = "kiln.gridDequantInput", matches = ".+")
    void writeReferenceInput() {
        Path out = Path.of(System.getProperty("kiln.gridDequantInput"));
        try (GgufFile f = GgufFile.open(kiln.tensor.testing.Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"))) {
            GgufMetadata md = f.metadata().copy();
            List<GgufLayout.Entry> entries = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            int i = 0;
            for (TensorInfo t : f.tensors()) {
                GgmlType type = t.nDims() == 2 && t.dim(0) % 256 == 0 && t.dim(1) % 4 == 0 ? TYPES.get(i++ % TYPES.size()) : t.type();
                entries.add(new GgufLayout.Entry(t.name(), type, t.ne()));
                if (type == t.type()) {
                    byte[] b = new byte[Math.toIntExact(f.data(t).byteSize())];
                    MemorySegment.copy(f.data(t), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b, 0, b.length);
                    data.add(b);
                } else {
                    data.add(blocks(type, t.name(), t.dim(0), t.dim(1)));
                    System.out.println("GRID " + type + " " + t.name() + " " + t.dim(0) + " " + t.dim(1));
                }
            }
            try (GgufOutput o = GgufOutput.create(out, new GgufLayout(md, entries, f.alignment()))) {
                for (int k = 0; k < data.size(); k++) o.write(k, MemorySegment.ofArray(data.get(k)));
                o.commit();
            }
        }
    }

    static String sha256(float[] y) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 * y.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putFloat(v);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }
}
