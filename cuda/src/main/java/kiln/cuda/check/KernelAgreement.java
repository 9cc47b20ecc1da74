package kiln.cuda.check;

import kiln.cuda.gpu.CudaBackend;
import kiln.cuda.gpu.CudaContext;
import kiln.cuda.gpu.DeviceBuffer;
import kiln.cuda.oracle.AttentionOracle;
import kiln.cuda.oracle.CacheBytes;
import kiln.cuda.oracle.QuantMatvecOracle;
import kiln.cuda.oracle.RmsNormOracle;
import kiln.cuda.oracle.RopeOracle;
import kiln.cuda.oracle.RopeParams;
import kiln.cuda.oracle.RouteParams;
import kiln.cuda.oracle.RouterOracle;
import kiln.cuda.oracle.SoftmaxOracle;
import kiln.cuda.oracle.SwigluOracle;
import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs every kernel on the GPU and its scalar oracle on the CPU over the same seeded random inputs (awkward sizes:
 * row counts that do not fill a block, columns over several blocks, more than one token) and reports the largest
 * error of each. Needs a device; the GPU session runs it through {@code kiln gpu-check} and GpuAgreementTest.
 */
public final class KernelAgreement {
    private KernelAgreement() {}

    public static List<Agreement> run(CudaBackend gpu) {
        List<Agreement> out = new ArrayList<>();
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS, GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            out.add(matvec(gpu, t, 37, 512, 1));
            out.add(matvec(gpu, t, 129, 4096, 1));
            out.add(matvec(gpu, t, 37, 768, 11)); // the tiled kernel: a full tile of 8 and a partial one of 3
        }
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16}) out.add(matvecHeads(gpu, t, 512, 128, 16)); // attn_k_b-shaped
        out.add(rmsNorm(gpu, 4096, 3));
        out.add(rmsNorm(gpu, 1000, 1));
        out.add(rope(gpu, RopeParams.plain(10000f), "llama"));
        out.add(rope(gpu, RopeParams.yarn(10000f, 40f, 1.0f, 64, 4096, 32f, 1f), "yarn"));
        out.add(softmax(gpu, 5, 1000));
        out.add(swiglu(gpu, 100_003));
        for (GgmlType c : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
            out.add(attention(gpu, c, 300, 8, 2, 128));
            out.add(attention(gpu, c, 1, 4, 4, 64));
            out.add(mlaAttention(gpu, c, 200, 16, 512, 64));
        }
        out.add(storeF16(gpu, 10_007));
        out.add(storeQ8_0(gpu, 576 * 7));
        out.add(route(gpu, new RouteParams(256, 8, 8, 4, true, true, 2.5f), true, 5)); // DeepSeek-V3/R1
        out.add(route(gpu, new RouteParams(64, 6, 1, 1, false, false, 1f), false, 3)); // DeepSeek-V2-Lite
        return out;
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static Agreement matvec(CudaBackend gpu, GgmlType type, int rows, int cols, int ntok) {
        Random r = new Random(rows * 31L + cols);
        float[] v = gaussian(r, rows * cols, 1), x = gaussian(r, ntok * cols, 1);
        long rb = type.rowSize(cols);
        MemorySegment w = MemorySegment.ofArray(new byte[Math.toIntExact(rb * rows)]);
        for (int i = 0; i < rows; i++) Codecs.find(type).quantize(v, i * cols, w, i * rb, cols, null);
        float[] ref = QuantMatvecOracle.matvec(type, w, rows, cols, x, ntok);
        CudaContext cx = gpu.context();
        float[] got = new float[ntok * rows];
        try (DeviceBuffer dw = cx.upload(w); DeviceBuffer dx = cx.upload(x); DeviceBuffer dout = cx.alloc(4L * got.length)) {
            gpu.matvec(type, dw, rows, cols, dx, dout, ntok);
            cx.download(dout, got);
        }
        // error relative to Σ|w·x| of the row (the float accumulation's natural scale), w dequantized by the oracle
        float[] one = new float[cols];
        double worst = 0;
        for (int i = 0; i < rows; i++) {
            Codecs.find(type).dequantize(w, i * rb, one, 0, cols);
            for (int t = 0; t < ntok; t++) {
                double norm = 0;
                for (int c = 0; c < cols; c++) norm += Math.abs(one[c] * x[t * cols + c]);
                worst = Math.max(worst, Math.abs(got[t * rows + i] - ref[t * rows + i]) / Math.max(norm, 1e-30));
            }
        }
        String name = (ntok == 1 ? "matvec_" : "matmul_t8_") + type.ggmlName().toLowerCase(java.util.Locale.ROOT);
        return new Agreement(name, rows + "x" + cols + "x" + ntok, worst, 1e-4);
    }

    /** nHead matrices of rows × cols, each with its own activations: the oracle runs each head as a one-token product. */
    static Agreement matvecHeads(CudaBackend gpu, GgmlType type, int rows, int cols, int nHead) {
        Random r = new Random(rows + cols + nHead);
        float[] v = gaussian(r, nHead * rows * cols, 1), x = gaussian(r, nHead * cols, 1);
        long rb = type.rowSize(cols);
        MemorySegment w = MemorySegment.ofArray(new byte[Math.toIntExact(rb * rows * nHead)]);
        for (int i = 0; i < rows * nHead; i++) Codecs.find(type).quantize(v, i * cols, w, i * rb, cols, null);
        float[] ref = new float[nHead * rows];
        for (int h = 0; h < nHead; h++) {
            float[] one = QuantMatvecOracle.matvec(type, w.asSlice(h * rows * rb, rows * rb), rows, cols, java.util.Arrays.copyOfRange(x, h * cols, (h + 1) * cols), 1);
            System.arraycopy(one, 0, ref, h * rows, rows);
        }
        float[] got = new float[ref.length];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dw = cx.upload(w); DeviceBuffer dx = cx.upload(x); DeviceBuffer d = cx.alloc(4L * got.length)) {
            gpu.matvecHeads(type, dw, rows, cols, nHead, dx, d);
            cx.download(d, got);
        }
        return new Agreement("matvec_heads_" + type.ggmlName().toLowerCase(java.util.Locale.ROOT), nHead + "x" + rows + "x" + cols, relMax(got, ref), 1e-4);
    }

    static Agreement rmsNorm(CudaBackend gpu, int n, int ntok) {
        Random r = new Random(n);
        float[] x = gaussian(r, n * ntok, 3), w = gaussian(r, n, 1);
        float[] ref = RmsNormOracle.apply(x, w, n, ntok, 1e-6f);
        float[] got = new float[n * ntok];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dx = cx.upload(x); DeviceBuffer dw = cx.upload(w); DeviceBuffer d = cx.alloc(4L * got.length)) {
            gpu.rmsNorm(dx, dw, d, n, ntok, 1e-6f);
            cx.download(d, got);
        }
        return new Agreement("rms_norm", n + "x" + ntok, relMax(got, ref), 1e-5);
    }

    static Agreement rope(CudaBackend gpu, RopeParams p, String label) {
        int ntok = 4, nhead = 4, stride = 192, nDims = 64;
        int[] pos = {0, 1, 1000, 4095};
        float[] x = gaussian(new Random(5), ntok * nhead * stride, 1);
        float[] ref = x.clone();
        RopeOracle.apply(ref, pos, ntok, nhead, stride, nDims, p);
        float[] got = new float[x.length];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dx = cx.upload(x); DeviceBuffer dp = cx.upload(pos)) {
            gpu.rope(dx, dp, ntok, nhead, stride, nDims, p);
            cx.download(dx, got);
        }
        // θ reaches 4095 rad: ggml's stepwise θ and the kernel's powf differ by float rounding of θ (≈ 4095 · 2⁻²³ · a few)
        return new Agreement("rope_norm/" + label, ntok + "x" + nhead + "x" + stride + " dims " + nDims, absMax(got, ref), 5e-3);
    }

    static Agreement softmax(CudaBackend gpu, int rows, int n) {
        float[] x = gaussian(new Random(n), rows * n, 4);
        float[] ref = x.clone();
        SoftmaxOracle.apply(ref, rows, n, 0.5f);
        float[] got = new float[x.length];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dx = cx.upload(x)) {
            gpu.softmax(dx, rows, n, 0.5f);
            cx.download(dx, got);
        }
        return new Agreement("softmax_rows", rows + "x" + n, relMax(got, ref), 1e-5);
    }

    static Agreement swiglu(CudaBackend gpu, int n) {
        Random r = new Random(n);
        float[] g = gaussian(r, n, 3), u = gaussian(r, n, 1);
        float[] ref = SwigluOracle.apply(g, u);
        float[] got = new float[n];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dg = cx.upload(g); DeviceBuffer du = cx.upload(u); DeviceBuffer d = cx.alloc(4L * n)) {
            gpu.swiglu(dg, du, d, n);
            cx.download(d, got);
        }
        return new Agreement("swiglu", "" + n, relMax(got, ref), 1e-5);
    }

    static Agreement attention(CudaBackend gpu, GgmlType cacheType, int nKv, int nHead, int nHeadKv, int hd) {
        Random r = new Random(nKv);
        float[] q = gaussian(r, nHead * hd, 1);
        int n = nKv * nHeadKv * hd;
        byte[] k = CacheBytes.random(cacheType, r, n), v = CacheBytes.random(cacheType, r, n);
        float scale = (float) (1 / Math.sqrt(hd));
        float[] ref = AttentionOracle.apply(q, CacheBytes.values(cacheType, k, n), CacheBytes.values(cacheType, v, n), nKv, nHead, nHeadKv, hd, scale);
        float[] got = new float[nHead * hd];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dq = cx.upload(q); DeviceBuffer dk = cx.upload(MemorySegment.ofArray(k)); DeviceBuffer dv = cx.upload(MemorySegment.ofArray(v));
             DeviceBuffer ds = cx.alloc(4L * nHead * nKv); DeviceBuffer d = cx.alloc(4L * got.length)) {
            gpu.attention(cacheType, dq, dk, dv, ds, d, nKv, nHead, nHeadKv, hd, hd, hd, scale);
            cx.download(d, got);
        }
        return new Agreement("attention/" + cacheType.ggmlName(), nKv + " rows, " + nHead + "/" + nHeadKv + " heads, " + hd, relMax(got, ref), 1e-4);
    }

    static Agreement mlaAttention(CudaBackend gpu, GgmlType cacheType, int nKv, int nHead, int kvLoraRank, int nRot) {
        Random r = new Random(nKv + kvLoraRank);
        int row = kvLoraRank + nRot;
        float[] q = gaussian(r, nHead * row, 0.1);
        byte[] cache = CacheBytes.random(cacheType, r, nKv * row);
        float[] c = CacheBytes.values(cacheType, cache, nKv * row);
        float scale = (float) (1 / Math.sqrt(192)); // DeepSeek's 1/sqrt(qk_nope + qk_rope), not of the latent width
        float[] ref = AttentionOracle.apply(q, c, c, nKv, nHead, 1, row, kvLoraRank, row, scale);
        float[] got = new float[nHead * kvLoraRank];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dq = cx.upload(q); DeviceBuffer dc = cx.upload(MemorySegment.ofArray(cache)); DeviceBuffer ds = cx.alloc(4L * nHead * nKv);
             DeviceBuffer d = cx.alloc(4L * got.length)) {
            gpu.mlaAttention(cacheType, dq, dc, ds, d, nKv, nHead, kvLoraRank, nRot, scale);
            cx.download(d, got);
        }
        return new Agreement("attention/mla-latent/" + cacheType.ggmlName(), nKv + " rows, " + nHead + " heads, c^KV " + kvLoraRank + "+" + nRot,
                relMax(got, ref), 1e-4);
    }

    /** Chosen experts must be the oracle's, in order (error ∞ otherwise); their weights are compared relatively. */
    static Agreement route(CudaBackend gpu, RouteParams p, boolean withBias, int ntok) {
        Random r = new Random(p.nExpert() + ntok);
        float[] logits = gaussian(r, ntok * p.nExpert(), 2), bias = withBias ? gaussian(r, p.nExpert(), 0.05) : null;
        RouterOracle.Routed ref = RouterOracle.route(logits, ntok, bias, p);
        int[] ids = new int[ntok * p.used()];
        float[] w = new float[ids.length];
        CudaContext cx = gpu.context();
        try (DeviceBuffer dl = cx.upload(logits); DeviceBuffer db = bias != null ? cx.upload(bias) : null;
             DeviceBuffer ds = cx.alloc(8L * ntok * p.nExpert()); DeviceBuffer di = cx.alloc(4L * ids.length); DeviceBuffer dw = cx.alloc(4L * w.length)) {
            gpu.route(dl, db, ds, di, dw, ntok, p);
            cx.download(di, ids);
            cx.download(dw, w);
        }
        double err = java.util.Arrays.equals(ids, ref.ids()) ? relMax(w, ref.weights()) : Double.POSITIVE_INFINITY;
        return new Agreement("route_experts", p.nExpert() + " experts, top " + p.used() + ", groups " + p.groupUsed() + "/" + p.nGroup()
                + (p.sigmoid() ? ", sigmoid" : ", softmax") + (withBias ? " + bias" : ""), err, 1e-5);
    }

    /** Cache rows written on the GPU must be byte for byte what Kiln's codecs write: error = the number of differing bytes. */
    static Agreement storeF16(CudaBackend gpu, int n) {
        float[] x = gaussian(new Random(n), n, 10);
        byte[] ref = new byte[2 * n], got = new byte[2 * n];
        MemorySegment r = MemorySegment.ofArray(ref);
        for (int i = 0; i < n; i++) r.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, Fp16.floatToHalf(x[i]));
        CudaContext cx = gpu.context();
        try (DeviceBuffer dx = cx.upload(x); DeviceBuffer d = cx.alloc(2L * n)) {
            gpu.storeF16(dx, d, n);
            cx.download(d, got);
        }
        return new Agreement("store_f16", "" + n, differingBytes(got, ref), 0);
    }

    static Agreement storeQ8_0(CudaBackend gpu, int n) {
        float[] x = gaussian(new Random(n), n, 3);
        x[5] = 0; // and one all-zero block: d = 0, every quant 0
        for (int i = 32; i < 64; i++) x[i] = 0;
        byte[] ref = new byte[n / 32 * 34], got = new byte[ref.length];
        Codecs.find(GgmlType.Q8_0).quantize(x, 0, MemorySegment.ofArray(ref), 0, n, null);
        CudaContext cx = gpu.context();
        try (DeviceBuffer dx = cx.upload(x); DeviceBuffer d = cx.alloc(ref.length)) {
            gpu.storeQ8_0(dx, d, n);
            cx.download(d, got);
        }
        return new Agreement("store_q8_0", "" + n, differingBytes(got, ref), 0);
    }

    static double differingBytes(byte[] got, byte[] ref) {
        int n = 0;
        for (int i = 0; i < ref.length; i++) if (got[i] != ref[i]) n++;
        return n;
    }

    /** Largest |got − ref| over the largest |ref|. */
    static double relMax(float[] got, float[] ref) {
        double scale = 0;
        for (float f : ref) scale = Math.max(scale, Math.abs(f));
        return absMax(got, ref) / Math.max(scale, 1e-30);
    }

    static double absMax(float[] got, float[] ref) {
        double m = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs(got[i] - ref[i]);
            if (Double.isNaN(e)) return Double.NaN;
            m = Math.max(m, e);
        }
        return m;
    }
}
