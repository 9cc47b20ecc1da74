package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.Parallel;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden test for ik files the fixtures record only by size and sha256: the whole file is rebuilt from the bf16
 * fixture the way ik's llama-quantize writes it (input KVs in place with general.file_type and
 * general.quantization_version updated, the quantize.imatrix.* KVs appended; tensors in the recorded order and
 * types; 32-byte alignment) with the IK codecs doing the quantization, and must hash to the recorded sha256. Only the
 * tensor data come from the codecs under test. This covers IQ4_XS with an imatrix, all of tiny-llama's ik files,
 * and IQ5_K (ik-only), which ik's IQ4_XS mix writes for tiny-llama's attn_v tensors, with and without weights.
 */
class IkQuantFileHashTest {

    /** Types only these rebuilt files verify (with and without weights): IQ5_K, in tiny-llama's ik IQ4_XS files. */
    static final List<GgmlType> VERIFIED_TYPES = List.of(GgmlType.IQ5_K);

    @ParameterizedTest(name = "{0}/{2}")
    @CsvSource({
            // model,       bf16 input,                          output file,                           imatrix
            "tiny-deepseek, ik/tiny-deepseek-bf16.gguf,          ik/tiny-deepseek-IQ4_XS-imat.gguf,     ik/tiny-deepseek.imatrix",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q4_0.gguf,                ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q8_0.gguf,                ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q4_K_M.gguf,              ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q5_K_M.gguf,              ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q6_K.gguf,                ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-Q4_K_M-imat.gguf,         ik/tiny-llama.imatrix",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-IQ4_XS.gguf,              ",
            "tiny-llama,    mainline/tiny-llama-bf16.gguf,       ik/tiny-llama-IQ4_XS-imat.gguf,         ik/tiny-llama.imatrix",
    })
    void rebuiltFileHasTheRecordedSha256(String model, String input, String output, String imatrix) throws IOException {
        Path dir = Fixtures.require().resolve(model);
        IkRecordedFiles.Recorded want = IkRecordedFiles.recorded(dir, output);
        List<IkRecordedFiles.Planned> plan = IkRecordedFiles.tensors(dir, output);
        IkImatrix imat = imatrix == null ? null : IkImatrix.read(Fixtures.file(model + "/" + imatrix));
        try (GgufFile in = GgufFile.open(Fixtures.file(model + "/" + input))) {
            GgufMetadata md = in.metadata().copy();
            md.put("general.file_type", GgufValue.ofU32(Integer.parseInt(IkRecordedFiles.value(dir, output, "general.file_type"))));
            md.put("general.quantization_version", GgufValue.ofU32(2));
            if (imat != null) {
                md.put("quantize.imatrix.file", GgufValue.ofString(imatrix));
                md.put("quantize.imatrix.dataset", GgufValue.ofString(imat.dataset()));
                md.put("quantize.imatrix.entries_count", GgufValue.ofI32(imat.size()));
                md.put("quantize.imatrix.chunks_count", GgufValue.ofI32(imat.lastCall()));
            }
            assertEquals(IkRecordedFiles.keys(dir, output), new ArrayList<>(md.keys()), "KV order of " + output);
            byte[] file = build(in, md, plan, imat);
            assertEquals(want.bytes(), file.length, "size of " + output);
            assertEquals(want.sha256(), sha256(file), "sha256 of " + output);
        }
    }

    private static byte[] build(GgufFile in, GgufMetadata md, List<IkRecordedFiles.Planned> plan, IkImatrix imat) {
        List<GgufLayout.Entry> entries = new ArrayList<>();
        for (IkRecordedFiles.Planned p : plan) entries.add(new GgufLayout.Entry(p.name(), p.type(), in.tensor(p.name()).ne()));
        GgufLayout layout = new GgufLayout(md, entries);
        byte[] file = new byte[Math.toIntExact(layout.fileSize())];
        byte[] header = layout.headerBytes();
        System.arraycopy(header, 0, file, 0, header.length);
        Parallel.forEach(plan.size(), Parallel.defaultThreads(), i -> {
            IkRecordedFiles.Planned p = plan.get((int) i);
            TensorInfo src = in.tensor(p.name());
            byte[] data;
            if (src.type() == p.type()) {
                data = in.data(src).toArray(ValueLayout.JAVA_BYTE);
            } else {
                float[] w = imat == null ? null : imat.lookup(p.name(), src.dim(0) * (src.nDims() > 2 ? src.dim(2) : 1));
                data = quantize(in, src, p.type(), w);
            }
            System.arraycopy(data, 0, file, Math.toIntExact(layout.position((int) i)), data.length);
        });
        return file;
    }

    /** Row by row, each 3-D slice with its slice of the imatrix vector. */
    private static byte[] quantize(GgufFile in, TensorInfo s, GgmlType type, float[] imatrix) {
        RowCodec codec = Codecs.require(type, Flavor.IK), reader = Codecs.require(s.type(), Flavor.MAINLINE);
        int ne0 = (int) s.dim(0);
        long ne1 = s.dim(1), rows = s.rowCount(), rowBytes = type.rowSize(ne0);
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(out), src = in.data(s);
        float[] x = new float[ne0], w = imatrix == null ? null : new float[ne0];
        for (long r = 0; r < rows; r++) {
            reader.dequantize(src, r * s.rowSize(), x, 0, ne0);
            if (imatrix != null) System.arraycopy(imatrix, (int) (r / ne1) * ne0, w, 0, ne0);
            codec.quantize(x, 0, dst, r * rowBytes, ne0, w);
        }
        return out;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
