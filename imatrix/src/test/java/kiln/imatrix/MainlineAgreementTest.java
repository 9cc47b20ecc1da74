package kiln.imatrix;

import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kiln's imatrix of a mainline-layout file against mainline llama-imatrix's (same text, -c 128 --chunks 16): every
 * reference entry present with the same counts, every importance weight within 1e-3 relative, as the issue asks
 * (measured maximum: 5.8e-4 on tiny-deepseek, 5.0e-4 on tiny-llama; mainline sums its 16 chunks as 16 sequences
 * of one batch, so its float sums run in another order, and the residue grows through the layers).
 */
class MainlineAgreementTest {

    @Test
    void tinyDeepseekGgufAgrees() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "gguf", "auto", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertEquals(ref.entries().keySet(), k.entries().keySet(), "the same 35 entries, attn_k_b/attn_v_b per head included");
        assertEquals(ref.chunkCount(), k.chunkCount());
        assertEquals(ref.chunkSize(), k.chunkSize());
        assertEquals(ref.datasets().size(), k.datasets().size());
        String log = Collected.log(kiln);
        assertTrue(log.contains("[1]") && log.contains(",[16]") && log.contains("Final estimate: PPL = "), log);
        Collected.Errors e = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(e.maxEntryL2() < 1e-4, e.toString());
        assertTrue(e.maxElement() < 1e-3, e.toString());
    }

    @Test
    void tinyDeepseekDatAgrees() throws Exception {
        Path kiln = Collected.of("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf", "dat", "auto", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek.imatrix.dat"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertTrue(k.legacy());
        assertEquals(ref.entries().keySet(), k.entries().keySet());
        assertEquals(ref.chunkCount(), k.chunkCount());
        assertEquals(ref.datasets().size(), k.datasets().size());
        assertTrue(k.datasets().getFirst().endsWith("text/calib.txt"), "the -f file as given");
        Collected.Errors e = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(e.maxElement() < 1e-3, e.toString());
    }

    /** --in-file with -f: the earlier file's sums and counts plus this run's (mainline's merge). */
    @Test
    void inFilePlusTextAddsUp() throws Exception {
        Path root = Fixtures.require();
        Path refFile = root.resolve("tiny-deepseek/mainline/tiny-deepseek.imatrix.gguf");
        Path out = Collected.dir().resolve("merged-with-text.gguf");
        int rc = ImatrixTool.run(new ImatrixTool.Options(root.resolve("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"),
                root.resolve("tiny-deepseek/text/calib.txt"), out, 128, 2048, 512, 4, null, 3, java.util.List.of(refFile), null, false,
                "auto", 2, "auto"), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        assertEquals(0, rc);
        Imatrix ref = ImatrixFiles.read(refFile), m = ImatrixFiles.read(out);
        assertEquals(16 + 4, m.chunkCount());
        assertEquals(2, m.datasets().size());
        assertEquals(ref.get("blk.0.ffn_up.weight").counts()[0] + 4 * 128, m.get("blk.0.ffn_up.weight").counts()[0]);
        assertTrue(m.get("blk.0.ffn_up.weight").sums()[0] > ref.get("blk.0.ffn_up.weight").sums()[0]);
    }

    /**
     * --save-frequency keeps OUT.at_N copies (with N chunks in them); OUT itself is the final file. With -b 256 and
     * -c 128 mainline evaluates two chunks per batch, so files are written after chunks 2 and 4.
     */
    @Test
    void saveFrequencyKeepsCopies() throws Exception {
        Path root = Fixtures.require();
        Path out = Collected.dir().resolve("freq.gguf");
        assertEquals(0, kiln.tensor.cli.CliSupport.run(new kiln.imatrix.cli.ImatrixCommand(), "-m",
                root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(), "-f", root.resolve("tiny-llama/text/calib.txt").toString(),
                "-o", out.toString(), "-c", "128", "-b", "256", "--chunks", "4", "--save-frequency", "2", "--output-frequency", "3", "-t", "2"));
        assertEquals(2, ImatrixFiles.read(out.resolveSibling("freq.gguf.at_2")).chunkCount());
        assertEquals(4, ImatrixFiles.read(out.resolveSibling("freq.gguf.at_4")).chunkCount());
        assertEquals(4, ImatrixFiles.read(out).chunkCount());
        assertFalse(java.nio.file.Files.exists(out.resolveSibling("freq.gguf.at_3")));
    }

    /** --no-ppl changes nothing in the collected statistics (output.weight is not collected). */
    @Test
    void noPplCollectsTheSame() throws Exception {
        Path root = Fixtures.require();
        Path a = Collected.dir().resolve("ppl.gguf"), b = Collected.dir().resolve("noppl.gguf");
        for (Path p : new Path[]{a, b}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("-m", root.resolve("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                    "-f", root.resolve("tiny-llama/text/calib.txt").toString(), "-o", p.toString(), "-c", "128", "--chunks", "2", "-t", "2"));
            if (p == b) args.add("--no-ppl");
            assertEquals(0, kiln.tensor.cli.CliSupport.run(new kiln.imatrix.cli.ImatrixCommand(), args.toArray(String[]::new)));
        }
        Imatrix x = ImatrixFiles.read(a), y = ImatrixFiles.read(b);
        assertEquals(x.entries().keySet(), y.entries().keySet());
        assertTrue(Collected.compare(x, y, x.entries().keySet()).maxElement() < 1e-5);
    }

    @Test
    void tinyLlamaAgrees() throws Exception {
        Path kiln = Collected.of("tiny-llama/mainline/tiny-llama-bf16.gguf", "gguf", "auto", 3);
        Imatrix ref = ImatrixFiles.read(Fixtures.file("tiny-llama/mainline/tiny-llama.imatrix.gguf"));
        Imatrix k = ImatrixFiles.read(kiln);
        assertEquals(ref.entries().keySet(), k.entries().keySet());
        assertFalse(k.entries().containsKey("output.weight"), "output.weight only with --process-output");
        Collected.Errors e = Collected.compare(ref, k, ref.entries().keySet());
        assertTrue(e.maxElement() < 1e-3, e.toString());
    }
}
