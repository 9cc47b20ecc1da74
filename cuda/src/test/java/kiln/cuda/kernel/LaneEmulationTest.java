package kiln.cuda.kernel;

import kiln.cuda.oracle.AttentionOracle;
import kiln.cuda.oracle.CacheBytes;
import kiln.cuda.oracle.QuantMatvecOracle;
import kiln.cuda.oracle.RopeOracle;
import kiln.cuda.oracle.RmsNormOracle;
import kiln.cuda.oracle.RopeParams;
import kiln.cuda.oracle.SoftmaxOracle;
import kiln.cuda.oracle.RouteParams;
import kiln.cuda.oracle.RouterOracle;
import kiln.cuda.oracle.SwigluOracle;
import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kernels' CUDA C, run on the CPU: src/test/cuda/lane_emulation.cu calls the same __host__ __device__ functions
 * the PTX is made from (each lane's share of a quantized row product, one RoPE pair, one attention score and value,
 * one SwiGLU element), built with nvcc for the host, and its results are compared with the scalar oracles. This
 * checks the block layouts, lane decompositions and formulas without a GPU; the shuffles, shared-memory reductions
 * and launch geometry still need one (kiln gpu-check). Skipped (reported) where nvcc is absent.
 */
class LaneEmulationTest {
    private static Path binary;

    @BeforeAll
    static void build() throws Exception {
        String nvcc = findNvcc();
        Assumptions.assumeTrue(nvcc != null, "nvcc not found (set NVCC or put it on PATH)");
        Path out = Path.of("target/lane-emulation");
        Files.createDirectories(out.getParent());
        Process p = new ProcessBuilder(nvcc, "-O2", "-I", "src/main/cuda", "-o", out.toString(), "src/test/cuda/lane_emulation.cu")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), "nvcc failed: " + log);
        binary = out;
    }

    private static String findNvcc() {
        List<String> candidates = new ArrayList<>();
        if (System.getenv("NVCC") != null) candidates.add(System.getenv("NVCC"));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) candidates.add(dir + "/nvcc");
        candidates.add("/usr/local/cuda/bin/nvcc");
        for (String c : candidates) if (Files.isExecutable(Path.of(c))) return c;
        return null;
    }

    @TempDir
    Path tmp;

    private Path write(String name, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return Files.write(tmp.resolve(name), b.array());
    }

    private Path write(String name, int[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : v) b.putInt(i);
        return Files.write(tmp.resolve(name), b.array());
    }

    private Path write(String name, short[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) b.putShort(s);
        return Files.write(tmp.resolve(name), b.array());
    }

    private float[] run(int n, Object... args) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(runBytes(4 * n, args)).order(ByteOrder.LITTLE_ENDIAN);
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = b.getFloat();
        return r;
    }

    private byte[] runBytes(int n, Object... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary.toAbsolutePath().toString()));
        for (Object a : args) cmd.add(a instanceof Float f ? String.format(Locale.ROOT, "%.9g", f) : a.toString());
        Path out = tmp.resolve("out.bin");
        cmd.add(out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        byte[] bytes = Files.readAllBytes(out);
        assertEquals(n, bytes.length, "output size");
        return bytes;
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    @Test
    void quantizedRowProductsMatchTheCodecOracle() throws Exception {
        int rows = 37, cols = 768, ntok = 11; // the tiled kernel: a full tile of 8 tokens and a partial one of 3
        for (String op : new String[] {"matvec", "matmul"})
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS, GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            Random r = new Random(t.ordinal());
            float[] v = gaussian(r, rows * cols, 1), x = gaussian(r, ntok * cols, 1);
            long rb = t.rowSize(cols);
            byte[] w = new byte[(int) (rb * rows)];
            MemorySegment ws = MemorySegment.ofArray(w);
            for (int i = 0; i < rows; i++) Codecs.find(t).quantize(v, i * cols, ws, i * rb, cols, null);
            Path wf = Files.write(tmp.resolve("w.bin"), w);
            float[] got = run(ntok * rows, op, t.ggmlName().toLowerCase(Locale.ROOT), rows, cols, ntok, wf, write("x.bin", x));
            float[] ref = QuantMatvecOracle.matvec(t, ws, rows, cols, x, ntok);
            float[] row = new float[cols];
            for (int i = 0; i < rows; i++) {
                Codecs.find(t).dequantize(ws, i * rb, row, 0, cols);
                for (int k = 0; k < ntok; k++) {
                    double norm = 0;
                    for (int c = 0; c < cols; c++) norm += Math.abs(row[c] * x[k * cols + c]);
                    assertEquals(ref[k * rows + i], got[k * rows + i], 1e-5 * norm, op + " " + t + " row " + i + " token " + k);
                }
            }
        }
    }

    @Test
    void ropePairsMatchGgmlsRopeYarn() throws Exception {
        int ntok = 4, nhead = 3, stride = 192, nDims = 64;
        int[] pos = {0, 1, 1000, 4095};
        for (RopeParams p : new RopeParams[] {RopeParams.plain(10000f), RopeParams.yarn(10000f, 40f, 1f, nDims, 4096, 32f, 1f)}) {
            float[] x = gaussian(new Random(3), ntok * nhead * stride, 1);
            float[] ref = x.clone();
            RopeOracle.apply(ref, pos, ntok, nhead, stride, nDims, p);
            float[] got = run(x.length, "rope", ntok, nhead, stride, nDims, p.freqBase(), p.freqScale(), p.extFactor(), p.attnFactor(),
                    p.corrLow(), p.corrHigh(), write("x.bin", x), write("pos.bin", pos));
            for (int i = 0; i < x.length; i++) {
                boolean rotated = i % stride < nDims;
                if (!rotated) assertEquals(x[i], got[i], "value " + i + " is past n_dims and must not move");
                else assertEquals(ref[i], got[i], 5e-3, p + " value " + i); // θ up to 4095 rad: stepwise vs powf rounding
            }
        }
    }

    @Test
    void attentionScoresAndValuesMatchTheOracle() throws Exception {
        // llama with grouped-query heads, then MLA's latent cache (values = the latent part of the same rows); f16 and q8_0 caches
        int[][] shapes = {{300, 8, 2, 128, 128, 128}, {200, 16, 1, 576, 512, 576}};
        for (GgmlType cacheType : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0})
        for (int[] s : shapes) {
            int nKv = s[0], nHead = s[1], nHeadKv = s[2], hdK = s[3], hdV = s[4], vStride = s[5];
            boolean mla = nHeadKv == 1 && hdK == vStride;
            Random r = new Random(nKv);
            float[] q = gaussian(r, nHead * hdK, 0.2);
            int n = nKv * nHeadKv * hdK;
            byte[] k = CacheBytes.random(cacheType, r, n), v = mla ? k : CacheBytes.random(cacheType, r, nKv * nHeadKv * vStride);
            float scale = (float) (1 / Math.sqrt(128));
            float[] kf = CacheBytes.values(cacheType, k, n), vf = mla ? kf : CacheBytes.values(cacheType, v, nKv * nHeadKv * vStride);
            float[] ref = AttentionOracle.apply(q, kf, vf, nKv, nHead, nHeadKv, hdK, hdV, vStride, scale);
            float[] got = run(nHead * hdV, "attn", cacheType.ggmlName().toLowerCase(Locale.ROOT), nKv, nHead, nHeadKv, hdK, hdV, vStride, scale,
                    write("q.bin", q), Files.write(tmp.resolve("k.bin"), k), Files.write(tmp.resolve("v.bin"), v));
            double max = 0;
            for (float f : ref) max = Math.max(max, Math.abs(f));
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], got[i], 1e-4 * max, cacheType + " shape " + java.util.Arrays.toString(s) + " value " + i);
            }
        }
    }

    @Test
    void routingChoosesTheOraclesExpertsWithItsWeights() throws Exception {
        RouteParams[] ps = {new RouteParams(256, 8, 8, 4, true, true, 2.5f), new RouteParams(64, 6, 1, 1, false, false, 1f)};
        for (RouteParams p : ps) {
            int ntok = 5;
            Random r = new Random(p.nExpert());
            float[] logits = gaussian(r, ntok * p.nExpert(), 2), bias = p.sigmoid() ? gaussian(r, p.nExpert(), 0.05) : new float[] {0};
            RouterOracle.Routed ref = RouterOracle.route(logits, ntok, p.sigmoid() ? bias : null, p);
            float[] got = run(2 * ntok * p.used(), "route", ntok, p.nExpert(), p.used(), p.nGroup(), p.groupUsed(), p.sigmoid() ? 1 : 0,
                    p.sigmoid() ? 1 : 0, p.normalize() ? 1 : 0, p.scale(), write("l.bin", logits), write("b.bin", bias));
            int n = ntok * p.used();
            for (int i = 0; i < n; i++) {
                assertEquals(ref.ids()[i], (int) got[i], p + " choice " + i);
                assertEquals(ref.weights()[i], got[n + i], 1e-5 * Math.max(1, Math.abs(ref.weights()[i])), p + " weight " + i);
            }
        }
    }

    @Test
    void q8_0CacheRowsAreTheCodecsBytes() throws Exception {
        int n = 576 * 5;
        float[] x = gaussian(new Random(9), n, 3);
        for (int i = 64; i < 96; i++) x[i] = 0; // an all-zero block: d = 0
        byte[] ref = new byte[n / 32 * 34];
        Codecs.find(GgmlType.Q8_0).quantize(x, 0, MemorySegment.ofArray(ref), 0, n, null);
        assertArrayEquals(ref, runBytes(ref.length, "store_q8_0", n, write("x.bin", x)));
    }

    @Test
    void rmsNormAndSoftmaxThreadSharesMatchTheOracles() throws Exception {
        Random r = new Random(17);
        int n = 1000, ntok = 3;
        float[] x = gaussian(r, n * ntok, 3), w = gaussian(r, n, 1);
        float[] ref = RmsNormOracle.apply(x, w, n, ntok, 1e-6f);
        float[] got = run(n * ntok, "rms_norm", n, ntok, 1e-6f, write("x.bin", x), write("w.bin", w));
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5 * Math.max(1, Math.abs(ref[i])), "rms_norm " + i);
        float[] s = gaussian(r, 5 * 777, 4);
        float[] sref = s.clone();
        SoftmaxOracle.apply(sref, 5, 777, 0.5f);
        float[] sgot = run(s.length, "softmax", 5, 777, 0.5f, write("s.bin", s));
        for (int i = 0; i < sref.length; i++) assertEquals(sref[i], sgot[i], 1e-6, "softmax " + i);
    }

    @Test
    void swigluMatchesTheOracle() throws Exception {
        Random r = new Random(11);
        float[] g = gaussian(r, 1001, 4), u = gaussian(r, 1001, 1);
        float[] got = run(1001, "swiglu", 1001, write("g.bin", g), write("u.bin", u));
        float[] ref = SwigluOracle.apply(g, u);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-6 * Math.max(1, Math.abs(ref[i])), "value " + i);
    }
}
