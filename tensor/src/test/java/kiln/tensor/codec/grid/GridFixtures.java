package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.codec.ik.IkImatrix;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.imatrix.ImatrixWeights;
import kiln.tensor.testing.Fixtures;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Test support for the grid types' reference lists: each tool's bf16 input and imatrix per fixture model, a whole
 * tensor quantized as llama-quantize does it (per 2-D slice, each expert with its slice of the importance vector,
 * one row per call), dequantization, SHA-256 and the resource lists ({@code model type imatrix|- tensor sha256}).
 */
final class GridFixtures {
    private GridFixtures() {}

    /** One line of a reference list. */
    record Case(String model, GgmlType type, boolean imatrix, String tensor, String sha256) {
        @Override
        public String toString() {
            return model + " " + type + (imatrix ? " (imatrix) " : " ") + tensor;
        }
    }

    static List<Case> cases(String resource) throws IOException {
        List<Case> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                GridFixtures.class.getResourceAsStream(resource), resource), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                cases.add(new Case(f[0], GgmlType.valueOf(f[1]), f[2].equals("imatrix"), f[3], f[4]));
            }
        }
        return cases;
    }

    /** The bf16 file each tool quantized: ik's own conversion of tiny-deepseek; mainline's of tiny-llama for both. */
    static String source(String model, Flavor flavor) {
        return switch (model) {
            case "tiny-deepseek" -> flavor == Flavor.IK ? "tiny-deepseek/ik/tiny-deepseek-bf16.gguf"
                    : "tiny-deepseek/mainline/tiny-deepseek-bf16.gguf";
            case "tiny-llama" -> "tiny-llama/mainline/tiny-llama-bf16.gguf";
            default -> throw new IllegalArgumentException(model);
        };
    }

    /**
     * The importance vector (ne0·ne2 values) the tool's llama-quantize uses for the tensor: ik's legacy file with
     * ik's name fallbacks ({@link IkImatrix}), mainline's GGUF imatrix by exact name.
     */
    static float[] imatrix(String model, Flavor flavor, TensorInfo t) throws IOException {
        long size = t.dim(0) * (t.nDims() > 2 ? t.dim(2) : 1);
        if (flavor == Flavor.IK) return IkImatrix.read(Fixtures.file(model + "/ik/" + model + ".imatrix")).lookup(t.name(), size);
        Imatrix m = ImatrixFiles.read(Fixtures.file(model + "/mainline/" + model + ".imatrix.gguf"));
        ImatrixEntry e = m.entries().get(t.name());
        return e == null ? null : ImatrixWeights.of(m, e);
    }

    /** The tensor of the model's bf16 file quantized to {@code type} with the flavour's codec. */
    static byte[] quantize(String model, Flavor flavor, String tensor, GgmlType type, boolean withImatrix) throws IOException {
        try (GgufFile in = GgufFile.open(Fixtures.file(source(model, flavor)))) {
            TensorInfo t = in.tensor(tensor);
            float[] imatrix = withImatrix ? Objects.requireNonNull(imatrix(model, flavor, t), "no imatrix entry for " + tensor) : null;
            return quantize(in, t, Codecs.require(type, flavor), imatrix);
        }
    }

    /** Row by row, the rows of 2-D slice j with {@code imatrix[j·ne0, (j+1)·ne0)}. */
    static byte[] quantize(GgufFile in, TensorInfo s, RowCodec codec, float[] imatrix) {
        RowCodec reader = Codecs.require(s.type(), Flavor.MAINLINE);
        int ne0 = (int) s.dim(0), ne1 = (int) s.dim(1);
        long rows = s.rowCount(), rowBytes = codec.type().rowSize(ne0);
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(out), src = in.data(s);
        float[] row = new float[ne0], w = imatrix == null ? null : new float[ne0];
        for (long r = 0; r < rows; r++) {
            reader.dequantize(src, r * s.rowSize(), row, 0, ne0);
            if (w != null) System.arraycopy(imatrix, (int) (r / ne1) * ne0, w, 0, ne0);
            codec.quantize(row, 0, dst, r * rowBytes, ne0, w);
        }
        return out;
    }

    /** Kiln's decoding of a tensor's bytes, as little-endian f32. */
    static byte[] dequantize(GgmlType type, byte[] bytes, int ne0) {
        RowCodec codec = Codecs.require(type, Flavor.MAINLINE);
        long rowBytes = type.rowSize(ne0);
        int rows = Math.toIntExact(bytes.length / rowBytes);
        float[] y = new float[ne0];
        ByteBuffer b = ByteBuffer.allocate(4 * ne0 * rows).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            codec.dequantize(MemorySegment.ofArray(bytes), r * rowBytes, y, 0, ne0);
            for (float v : y) b.putFloat(v);
        }
        return b.array();
    }

    static int rowLength(String model, Flavor flavor, String tensor) {
        try (GgufFile in = GgufFile.open(Fixtures.file(source(model, flavor)))) {
            return Math.toIntExact(in.tensor(tensor).dim(0));
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
