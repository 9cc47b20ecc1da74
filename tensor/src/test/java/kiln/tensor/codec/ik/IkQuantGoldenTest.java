package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden test: every tensor ik's llama-quantize wrote in a plain (non-interleaved) quantized type in a kept ik
 * fixture file is re-quantized from the bf16 source with {@code Codecs.require(type, Flavor.IK)} (and ik's
 * imatrix where the file was made with one) and must be byte-identical.
 */
class IkQuantGoldenTest {

    private static final String DS = "tiny-deepseek/ik/";
    private static final String DS_BF16 = DS + "tiny-deepseek-bf16.gguf";

    @TestFactory
    List<DynamicTest> deepseekQ40() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-Q4_0.gguf", null);
    }

    @TestFactory
    List<DynamicTest> deepseekQ4KM() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-Q4_K_M.gguf", null);
    }

    @TestFactory
    List<DynamicTest> deepseekQ4KMWithImatrix() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-Q4_K_M-imat.gguf", DS + "tiny-deepseek.imatrix");
    }

    @TestFactory
    List<DynamicTest> deepseekQ5KM() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-Q5_K_M.gguf", null);
    }

    @TestFactory
    List<DynamicTest> deepseekQ6K() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-Q6_K.gguf", null);
    }

    @TestFactory
    List<DynamicTest> deepseekIq4Xs() throws IOException {
        return cases(DS_BF16, DS + "tiny-deepseek-IQ4_XS.gguf", null);
    }

    /** Direct quantization to an interleaved type leaves some tensors in plain Q4_0/Q4_K/Q5_K/Q6_K/IQ4_XS/Q8_0. */
    @TestFactory
    List<DynamicTest> deepseekPlainTensorsOfInterleavedFiles() throws IOException {
        List<DynamicTest> all = new ArrayList<>();
        for (String f : List.of("Q4_K_R4", "Q6_K_R4", "IQ4_XS_R8")) {
            all.addAll(cases(DS_BF16, DS + "tiny-deepseek-" + f + ".gguf", null));
        }
        return all;
    }

    /** tiny-llama's kept ik file (made from mainline's bf16 file). */
    @TestFactory
    List<DynamicTest> llamaPlainTensorsOfQ4KR4() throws IOException {
        return cases("tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/ik/tiny-llama-Q4_K_R4.gguf", null);
    }

    /** The types (and imatrix uses) the kept ik files verify; IkBuildReferenceTest covers the rest. */
    static final List<GgmlType> FIXTURE_TYPES = List.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
            GgmlType.IQ4_XS);
    static final List<GgmlType> FIXTURE_IMATRIX_TYPES = List.of(GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /** The kept files hold tensors of every type listed above, with and without weights as listed. */
    @Test
    void fixturesCoverTheListedTypes() throws IOException {
        Map<GgmlType, Integer> plain = new EnumMap<>(GgmlType.class), weighted = new EnumMap<>(GgmlType.class);
        for (String f : List.of("Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_XS")) {
            count(DS + "tiny-deepseek-" + f + ".gguf", plain);
        }
        count(DS + "tiny-deepseek-Q4_K_M-imat.gguf", weighted);
        for (GgmlType t : FIXTURE_TYPES) {
            assertTrue(plain.getOrDefault(t, 0) > 0, "no fixture tensor of " + t);
        }
        for (GgmlType t : FIXTURE_IMATRIX_TYPES) {
            assertTrue(weighted.getOrDefault(t, 0) > 0, "no imatrix fixture tensor of " + t);
        }
    }

    @Test
    void ikFlavourUsesIkQuantizersAndMainlineDequantization() {
        float[] x = new float[256];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * (1 + i % 7);
        for (RowCodec c : IkCodecs.all()) {
            assertTrue(Codecs.require(c.type(), Flavor.IK) == c, c.type() + " not registered for IK");
            RowCodec mainline = Codecs.find(c.type(), Flavor.MAINLINE);
            byte[] q = new byte[(int) c.type().rowSize(256)];
            c.quantize(x, 0, MemorySegment.ofArray(q), 0, 256, null);
            float[] a = new float[256];
            c.dequantize(MemorySegment.ofArray(q), 0, a, 0, 256);
            if (mainline != null) {
                // a type mainline has: the ik codec must not leak into MAINLINE and must dequantize like mainline
                assertTrue(mainline != c, c.type() + " leaked into MAINLINE");
                float[] b = new float[256];
                mainline.dequantize(MemorySegment.ofArray(q), 0, b, 0, 256);
                assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a), c.type().toString());
            } else {
                // an ik-only type (IQ2_K … IQ6_K, the KS/KL/KSS and trellis types, Q8_KV): its own dequantization
                // reproduces the row within the quantization error
                double err = 0, norm = 0;
                for (int i = 0; i < 256; i++) { err += (a[i] - x[i]) * (a[i] - x[i]); norm += x[i] * x[i]; }
                double bound = switch (c.type()) { // relative squared error: fewer levels, coarser
                    case IQ1_KT -> 0.3;
                    case IQ2_K, IQ2_KL, IQ2_KS, IQ2_KT -> 0.15;
                    case IQ3_K, IQ3_KS, IQ3_KT -> 0.05;
                    case IQ4_KT -> 0.03;
                    default -> 0.01;
                };
                assertTrue(err < bound * norm, c.type() + " round trip error " + err / norm);
            }
        }
    }

    @Test
    void legacyImatrixReadsAsIkDoes() throws IOException {
        IkImatrix im = IkImatrix.read(Fixtures.file(DS + "tiny-deepseek.imatrix"));
        assertEquals(27, im.size()); // MANIFEST: 27 entries, none for attn_kv_b/attn_k_b/attn_v_b under -mla 3
        assertNotNull(im.lookup("blk.0.ffn_gate.weight", 256)); // falls back to ffn_up
        assertNull(im.lookup("blk.0.attn_k_b.weight", 64));
    }

    private static void count(String file, Map<GgmlType, Integer> into) {
        try (GgufFile q = GgufFile.open(Fixtures.file(file))) {
            for (TensorInfo t : q.tensors()) into.merge(t.type(), 1, Integer::sum);
        }
    }

    private static List<DynamicTest> cases(String source, String quantized, String imatrix) throws IOException {
        Path src = Fixtures.file(source), dst = Fixtures.file(quantized);
        IkImatrix imat = imatrix == null ? null : IkImatrix.read(Fixtures.file(imatrix));
        List<DynamicTest> tests = new ArrayList<>();
        try (GgufFile in = GgufFile.open(src); GgufFile out = GgufFile.open(dst)) {
            for (TensorInfo t : out.tensors()) {
                if (!in.hasTensor(t.name())) continue;
                TensorInfo s = in.tensor(t.name());
                if (s.type() == t.type() || !t.type().isQuantized() || t.type().interleave() > 1) continue;
                float[] w = imat == null ? null : imat.lookup(t.name(), t.dim(0) * (t.nDims() > 2 ? t.dim(2) : 1));
                String name = quantized.substring(quantized.lastIndexOf('/') + 1) + ": " + t.name() + " "
                        + s.type() + "->" + t.type() + (w != null ? " (imatrix)" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> check(src, dst, t.name(), w)));
            }
        }
        assertTrue(!tests.isEmpty(), "no quantized tensors in " + quantized);
        return tests;
    }

    private static void check(Path src, Path dst, String name, float[] imatrix) {
        try (GgufFile in = GgufFile.open(src); GgufFile out = GgufFile.open(dst)) {
            TensorInfo s = in.tensor(name), q = out.tensor(name);
            RowCodec codec = Codecs.require(q.type(), Flavor.IK);
            RowCodec reader = Codecs.require(s.type(), Flavor.MAINLINE);
            int ne0 = (int) s.dim(0);
            long ne1 = s.dim(1), rows = s.rowCount(), rowBytes = q.type().rowSize(ne0);
            byte[] actual = new byte[Math.toIntExact(rows * rowBytes)];
            MemorySegment dstSeg = MemorySegment.ofArray(actual), srcSeg = in.data(s);
            float[] x = new float[ne0], w = imatrix == null ? null : new float[ne0];
            for (long r = 0; r < rows; r++) {
                reader.dequantize(srcSeg, r * s.rowSize(), x, 0, ne0);
                if (imatrix != null) System.arraycopy(imatrix, (int) (r / ne1) * ne0, w, 0, ne0);
                codec.quantize(x, 0, dstSeg, r * rowBytes, ne0, w);
            }
            byte[] expected = out.data(q).toArray(ValueLayout.JAVA_BYTE);
            assertNull(firstDifference(expected, actual, rowBytes, q.type().typeSize()), name + " (" + q.type() + ")");
        }
    }

    private static String firstDifference(byte[] expected, byte[] actual, long rowBytes, int blockBytes) {
        if (expected.length != actual.length) return "length " + actual.length + " != " + expected.length;
        int diffRows = 0;
        String first = null;
        for (long r = 0; r < expected.length / rowBytes; r++) {
            for (int i = (int) (r * rowBytes); i < (r + 1) * rowBytes; i++) {
                if (expected[i] != actual[i]) {
                    if (first == null) {
                        long inRow = i % rowBytes;
                        first = "row " + r + " block " + inRow / blockBytes + " byte " + inRow % blockBytes
                                + ": expected " + (expected[i] & 0xFF) + " got " + (actual[i] & 0xFF);
                    }
                    diffRows++;
                    break;
                }
            }
        }
        return first == null ? null : first + " (" + diffRows + " of " + expected.length / rowBytes + " rows differ)";
    }
}
