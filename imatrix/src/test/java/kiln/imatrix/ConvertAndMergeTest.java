package kiln.imatrix;

import kiln.imatrix.cli.ImatrixCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.imatrix.ImatrixWeights;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvertAndMergeTest {

    /** mainline's GGUF imatrix converted to .dat is byte for byte the .dat mainline's llama-imatrix writes. */
    @Test
    void ggufToDatIsMainlinesDat() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-conv").resolve("x.dat");
        assertEquals(0, CliSupport.run(new ImatrixCommand(), "--convert", root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf").toString(),
                "--format", "dat", "-o", out.toString()));
        assertArrayEquals(Files.readAllBytes(root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.dat")), Files.readAllBytes(out));
    }

    /**
     * ik's quantizer rejects mainline's .dat for an ik-layout model (attn_kv_b borrows the per-head attn_v_b
     * vector: 1024 ≠ 256). Converted for the ik model (-m), the per-head attn_k_b/attn_v_b entries are pooled to
     * the 2-D tensors' sizes, so every entry fits the model as llama-quantize checks it.
     */
    @Test
    void convertForAnIkModelPoolsHeads() throws Exception {
        Path root = Fixtures.require();
        Path ikModel = root.resolve("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path out = Files.createTempDirectory("kiln-imatrix-conv").resolve("for-ik.dat");
        assertEquals(0, CliSupport.run(new ImatrixCommand(), "--convert", root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf").toString(),
                "--format", "dat", "-m", ikModel.toString(), "-o", out.toString()));
        Imatrix m = ImatrixFiles.read(out);
        ModelTensors mt = ModelTensors.of(ikModel);
        for (ImatrixEntry e : m.entries().values()) mt.check(out.toString(), e.name(), e.size());
        assertEquals(256, m.get("blk.1.attn_v_b.weight").size());
        assertEquals(64, m.get("blk.1.attn_k_b.weight").size());
        // pooled per-head means: the mean of the 4 heads' means (equal ncall)
        Imatrix src = ImatrixFiles.read(root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.dat"));
        float[] h = ImatrixWeights.of(src, src.get("blk.1.attn_k_b.weight"));
        float want = (h[0] + h[64] + h[128] + h[192]) / 4;
        assertEquals(want, ImatrixWeights.of(m, m.get("blk.1.attn_k_b.weight"))[0], Math.abs(want) * 1e-5);
    }

    /** Legacy → GGUF with the chunk size given by -c, readable with the metadata llama-quantize requires. */
    @Test
    void datToGguf() throws Exception {
        Path root = Fixtures.require();
        Path out = Files.createTempDirectory("kiln-imatrix-conv").resolve("x.gguf");
        assertEquals(0, CliSupport.run(new ImatrixCommand(), "--convert", root.resolve("tiny-deepseek/ik/tiny-deepseek.imatrix").toString(),
                "--format", "gguf", "-c", "256", "-o", out.toString()));
        Imatrix m = ImatrixFiles.read(out);
        assertTrue(ImatrixFiles.ggufHasMetadata(out));
        assertEquals(27, m.size());
        assertEquals(256, m.chunkSize());
        assertEquals(32 * 256f, m.get("blk.0.ffn_up.weight").counts()[0]);
    }

    /** --in-file twice (no text): sums and counts add up (mainline's merge). */
    @Test
    void mergeTwiceDoubles() throws Exception {
        Path root = Fixtures.require();
        Path ref = root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf");
        Path out = Files.createTempDirectory("kiln-imatrix-merge").resolve("m.gguf");
        assertEquals(0, CliSupport.run(new ImatrixCommand(), "-m", root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf").toString(),
                "--in-file", ref.toString(), "--in-file", ref.toString(), "-c", "128", "-o", out.toString()));
        Imatrix a = ImatrixFiles.read(ref), m = ImatrixFiles.read(out);
        assertEquals(a.entries().keySet(), m.entries().keySet());
        assertEquals(2 * a.chunkCount(), m.chunkCount());
        for (ImatrixEntry e : a.entries().values()) {
            ImatrixEntry x = m.get(e.name());
            assertEquals(2 * e.counts()[0], x.counts()[0], e.name());
            assertEquals(2 * e.sums()[5], x.sums()[5], Math.abs(e.sums()[5]) * 1e-6, e.name());
        }
    }
}
