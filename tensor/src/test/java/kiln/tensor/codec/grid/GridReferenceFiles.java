package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.codec.ik.IkImatrix;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
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
 * Test support for the grid types' reference lists: which bf16 fixture and imatrix each tool's llama-quantize read,
 * the tensor quantized as llama-quantize does (row by row, a 3-D tensor's slice with its expert's imatrix slice),
 * and the SHA-256 lines of the resources beside this class.
 */
final class GridReferenceFiles {
    private GridReferenceFiles() {}

    /** One reference line: tool, model, type, whether an imatrix was used, tensor, sha256. */
    record Case(Flavor flavor, String model, GgmlType type, boolean imatrix, String tensor, String sha256) {
        String name() {
            return flavor + " " + model + " " + type + (imatrix ? " (imatrix) " : " ") + tensor;
        }
    }

    /** A list of one tool's runs, without the tool column ({@code model type imatrix|- tensor sha256}). */
    static List<Case> cases(String resource, Flavor flavor) throws IOException {
        List<Case> cases = new ArrayList<>();
        for (String[] f : lines(resource)) cases.add(new Case(flavor, f[0], GgmlType.valueOf(f[1]), f[2].equals("imatrix"), f[3], f[4]));
        return cases;
    }

    static List<Case> cases(String resource) throws IOException {
        List<Case> cases = new ArrayList<>();
        for (String[] f : lines(resource)) {
            cases.add(new Case(Flavor.valueOf(f[0].toUpperCase()), f[1], GgmlType.valueOf(f[2]), f[3].equals("imatrix"), f[4], f[5]));
        }
        return cases;
    }

    /** The bf16 file each tool quantized. */
    static String source(Flavor flavor, String model) {
        return switch (model) {
            case "tiny-deepseek" -> "tiny-deepseek/" + (flavor == Flavor.IK ? "ik" : "mainline") + "/tiny-deepseek-bf16.gguf";
            case "tiny-llama" -> "tiny-llama/mainline/tiny-llama-bf16.gguf";
            default -> throw new IllegalArgumentException(model);
        };
    }

    /** ik read its legacy {@code .imatrix}; mainline the GGUF imatrix. */
    static String imatrix(Flavor flavor, String model) {
        return flavor == Flavor.IK ? model + "/ik/" + model + ".imatrix" : model + "/mainline/" + model + ".imatrix.gguf";
    }

    /** The importance vector (ne0·ne2 values) the tool used for {@code tensor}, or null. */
    static float[] weights(Flavor flavor, String model, TensorInfo t) throws IOException {
        long size = t.dim(0) * (t.nDims() > 2 ? t.dim(2) : 1);
        if (flavor == Flavor.IK) return IkImatrix.read(Fixtures.file(imatrix(flavor, model))).lookup(t.name(), size);
        return ImatrixWeights.all(ImatrixFiles.read(Fixtures.file(imatrix(flavor, model)))).get(t.name());
    }

    /** Kiln's bytes of {@code c}'s tensor in {@code c}'s type. */
    static byte[] quantize(Case c) throws IOException {
        try (GgufFile in = GgufFile.open(Fixtures.file(source(c.flavor(), c.model())))) {
            TensorInfo t = in.tensor(c.tensor());
            return quantize(in, t, c.type(), c.flavor(), c.imatrix() ? weights(c.flavor(), c.model(), t) : null);
        }
    }

    /**
     * Row by row (a group of rows at a time for an interleaved type such as IQ1_S_R4); rows of 3-D slice {@code s}
     * take {@code imatrix[s·ne0, (s+1)·ne0)}.
     */
    static byte[] quantize(GgufFile in, TensorInfo t, GgmlType type, Flavor flavor, float[] imatrix) {
        RowCodec codec = Codecs.require(type, flavor);
        RowCodec reader = Codecs.require(t.type(), Flavor.MAINLINE);
        int ne0 = (int) t.dim(0), group = type.interleave();
        long ne1 = t.dim(1), rows = t.rowCount(), rowBytes = type.rowSize(ne0);
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(out), src = in.data(t);
        float[] x = new float[ne0 * group], w = imatrix == null ? null : new float[ne0];
        for (long r = 0; r < rows; r += group) {
            for (int g = 0; g < group; g++) reader.dequantize(src, (r + g) * t.rowSize(), x, g * ne0, ne0);
            if (w != null) System.arraycopy(imatrix, (int) (r / ne1) * ne0, w, 0, ne0);
            codec.quantize(x, 0, dst, r * rowBytes, ne0 * group, w);
        }
        return out;
    }

    /** The f32 values of {@code bytes} (whole rows of {@code ne0}) as Kiln dequantizes them, little-endian. */
    static byte[] dequantize(GgmlType type, byte[] bytes, int ne0) {
        RowCodec codec = Codecs.require(type, Flavor.MAINLINE);
        long rowBytes = type.rowSize(ne0);
        int rows = Math.toIntExact(bytes.length / rowBytes);
        float[] y = new float[rows * ne0];
        for (int r = 0; r < rows; r++) codec.dequantize(MemorySegment.ofArray(bytes), r * rowBytes, y, r * ne0, ne0);
        ByteBuffer b = ByteBuffer.allocate(4 * y.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putFloat(v);
        return b.array();
    }

    static int rowLength(Case c) {
        try (GgufFile in = GgufFile.open(Fixtures.file(source(c.flavor(), c.model())))) {
            return Math.toIntExact(in.tensor(c.tensor()).dim(0));
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String[]> lines(String resource) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                GridReferenceFiles.class.getResourceAsStream(resource), resource), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) out.add(line.trim().split("\\s+"));
            }
        }
        return out;
    }
}
