package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ik quantizers no kept ik fixture file covers (Q2_K, Q3_K, Q4_1, Q5_0, Q5_1, IQ4_NL, the ik-only Q6_0; Q4_0
 * and IQ4_XS with an imatrix), checked on every BF16 tensor of the tiny-deepseek fixture against the SHA-256 of ik's own quantizer
 * output ({@code ik-build-reference.sha256}; its header says how that output was made).
 */
class IkBuildReferenceTest {

    private static final String SOURCE = "tiny-deepseek/ik/tiny-deepseek-bf16.gguf";
    private static final String IMATRIX = "tiny-deepseek/ik/tiny-deepseek.imatrix";

    record Case(GgmlType type, boolean imatrix, String tensor, String sha256) {}

    static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                IkBuildReferenceTest.class.getResourceAsStream("ik-build-reference.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                cases.add(new Case(GgmlType.valueOf(f[0]), f[1].equals("imatrix"), f[2], f[3]));
            }
        }
        return cases;
    }

    @TestFactory
    List<DynamicTest> everyTensorMatchesIksQuantizer() throws IOException {
        Path src = Fixtures.file(SOURCE);
        IkImatrix imat = IkImatrix.read(Fixtures.file(IMATRIX));
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.type() + (c.imatrix() ? " (imatrix) " : " ") + c.tensor(), () -> {
                try (GgufFile in = GgufFile.open(src)) {
                    TensorInfo t = in.tensor(c.tensor());
                    float[] w = c.imatrix() ? imat.lookup(t.name(), t.dim(0) * (t.nDims() > 2 ? t.dim(2) : 1)) : null;
                    assertTrue(!c.imatrix() || w != null, "no imatrix entry for " + c.tensor());
                    assertEquals(c.sha256(), sha256(quantize(in, t, c.type(), w)), c.type() + " " + c.tensor());
                }
            }));
        }
        return tests;
    }

    /**
     * Every codec IkCodecs registers is verified, with and without weights: by ik's fixture files
     * (IkQuantGoldenTest), by rebuilt ik files with recorded hashes (IkQuantFileHashTest), by these references or by
     * llama-quantize's (IqkReferenceTest).
     */
    @Test
    void everyRegisteredCodecIsVerifiedWithAndWithoutWeights() throws IOException {
        List<Case> cases = cases();
        List<IqkReferenceTest.Case> iqk = IqkReferenceTest.cases();
        List<TrellisReferenceTest.Case> trellis = new java.util.ArrayList<>(TrellisReferenceTest.cases());
        trellis.addAll(IkQ8KvReferenceTest.cases());
        for (RowCodec codec : IkCodecs.all()) {
            GgmlType t = codec.type();
            boolean byFile = IkQuantFileHashTest.VERIFIED_TYPES.contains(t);
            boolean plain = byFile || IkQuantGoldenTest.FIXTURE_TYPES.contains(t)
                    || cases.stream().anyMatch(c -> c.type() == t && !c.imatrix())
                    || iqk.stream().anyMatch(c -> c.type() == t && !c.imatrix())
                    || trellis.stream().anyMatch(c -> c.type() == t && !c.imatrix());
            boolean weighted = byFile || IkQuantGoldenTest.FIXTURE_IMATRIX_TYPES.contains(t)
                    || cases.stream().anyMatch(c -> c.type() == t && c.imatrix())
                    || iqk.stream().anyMatch(c -> c.type() == t && c.imatrix())
                    || trellis.stream().anyMatch(c -> c.type() == t && c.imatrix());
            assertTrue(plain && weighted, t + ": verified without weights " + plain + ", with weights " + weighted);
        }
    }

    /** Every type these references cover is registered for the IK flavour with ik's quantizer. */
    @Test
    void coveredTypesAreIkCodecs() throws IOException {
        for (Case c : cases()) {
            RowCodec codec = Codecs.require(c.type(), Flavor.IK);
            assertTrue(codec.getClass().getPackageName().equals("kiln.tensor.codec.ik"), c.type() + ": " + codec);
        }
    }

    /** Per 2-D slice: without weights one call over the whole slice, with weights row by row (the slice's vector). */
    static byte[] quantize(GgufFile in, TensorInfo s, GgmlType type, float[] imatrix) {
        RowCodec codec = Codecs.require(type, Flavor.IK);
        RowCodec reader = Codecs.require(s.type(), Flavor.MAINLINE);
        int ne0 = (int) s.dim(0), ne1 = (int) s.dim(1);
        long rows = s.rowCount(), rowBytes = type.rowSize(ne0);
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(out), src = in.data(s);
        float[] slice = new float[ne0 * ne1], w = imatrix == null ? null : new float[ne0];
        for (long r0 = 0; r0 < rows; r0 += ne1) {
            for (int r = 0; r < ne1; r++) reader.dequantize(src, (r0 + r) * s.rowSize(), slice, r * ne0, ne0);
            if (imatrix == null && type.rowMetaBytes() == 0) {
                codec.quantize(slice, 0, dst, r0 * rowBytes, ne0 * ne1, null);
            } else if (imatrix == null) { // a row scale: one row per call
                for (int r = 0; r < ne1; r++) codec.quantize(slice, r * ne0, dst, (r0 + r) * rowBytes, ne0, null);
            } else {
                System.arraycopy(imatrix, (int) (r0 / ne1) * ne0, w, 0, ne0);
                for (int r = 0; r < ne1; r++) codec.quantize(slice, r * ne0, dst, (r0 + r) * rowBytes, ne0, w);
            }
        }
        return out;
    }

    static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
