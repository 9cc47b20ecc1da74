package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.LittleEndian;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Test support: reads fixture tensors as float rows and importance matrices as llama-quantize prepares them,
 * and quantizes a whole tensor the way llama-quantize does (per 3-D slice, with that expert's imatrix slice).
 */
final class FixtureQuant {
    private FixtureQuant() {}

    /** One row of a BF16/F16/F32 (or any dequantizable) tensor as float. */
    static float[] row(GgufFile f, TensorInfo t, long row) {
        int ne0 = (int) t.dim(0);
        float[] out = new float[ne0];
        Codecs.require(t.type(), Flavor.MAINLINE).dequantize(f.data(t), row * t.rowSize(), out, 0, ne0);
        return out;
    }

    /**
     * The imatrix entries of a GGUF imatrix file as llama-quantize uses them (spec §5.3): per expert j,
     * {@code in_sum2[j*ne0+i] / (float) lround(counts[j])}, or 1 when the count is 0.
     */
    static Map<String, float[]> loadImatrix(Path path) {
        Map<String, float[]> out = new HashMap<>();
        try (GgufFile f = GgufFile.open(path)) {
            for (TensorInfo t : f.tensors()) {
                if (!t.name().endsWith(".in_sum2")) continue;
                String name = t.name().substring(0, t.name().length() - ".in_sum2".length());
                TensorInfo c = f.tensor(name + ".counts");
                MemorySegment sums = f.data(t), counts = f.data(c);
                int nval = (int) t.elementCount(), ncounts = (int) c.elementCount();
                int ne0 = nval / ncounts;
                float[] v = new float[nval];
                for (int j = 0; j < ncounts; j++) {
                    float count = (float) Math.round((double) LittleEndian.f32(counts, 4L * j));
                    for (int i = 0; i < ne0; i++) {
                        v[j * ne0 + i] = count > 0 ? LittleEndian.f32(sums, 4L * (j * ne0 + i)) / count : 1;
                    }
                }
                out.put(name, v);
            }
        }
        return out;
    }

    /**
     * Quantizes tensor {@code src} of {@code in} to {@code type} row by row, each 3-D slice with its slice of
     * {@code imatrix} (may be null), and returns the bytes.
     */
    static byte[] quantizeTensor(GgufFile in, TensorInfo src, GgmlType type, float[] imatrix) {
        RowCodec codec = Codecs.require(type, Flavor.MAINLINE);
        int ne0 = (int) src.dim(0);
        long ne1 = src.dim(1);
        long rows = src.rowCount();
        long rowBytes = type.rowSize(ne0);
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(out);
        float[] w = imatrix == null ? null : new float[ne0];
        for (long r = 0; r < rows; r++) {
            float[] x = row(in, src, r);
            if (imatrix != null) System.arraycopy(imatrix, (int) (r / ne1) * ne0, w, 0, ne0);
            codec.quantize(x, 0, dst, r * rowBytes, ne0, w);
        }
        return out;
    }

    static byte[] bytes(GgufFile f, TensorInfo t) {
        return f.data(t).toArray(ValueLayout.JAVA_BYTE);
    }

    /** "row R block B byte K" of the first differing byte, or null when equal. */
    static String firstDifference(byte[] expected, byte[] actual, long rowBytes, int blockBytes) {
        if (expected.length != actual.length) return "length " + actual.length + " != " + expected.length;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                long row = i / rowBytes, inRow = i % rowBytes;
                return "row " + row + " block " + inRow / blockBytes + " byte " + inRow % blockBytes
                        + ": expected " + (expected[i] & 0xFF) + " got " + (actual[i] & 0xFF);
            }
        }
        return null;
    }
}
