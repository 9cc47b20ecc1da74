package kiln.cuda.gpu;

import kiln.cuda.kernel.Kernel;
import kiln.cuda.oracle.RopeParams;
import kiln.cuda.oracle.RouteParams;
import kiln.tensor.GgmlType;

/**
 * The operations a full-offload llama needs, one method per kernel, with the launch geometry each .cu file states.
 * A skeleton: the model graphs (runtime's LlamaModel, DeepseekModel) do not call it yet, there is no stream
 * overlap and no pinned memory.
 *
 * <p>NOT RUN ON A GPU YET (see cuda/README.md): its kernels are checked against their scalar oracles by
 * {@code kiln gpu-check} on the GPU machine, which has not happened.
 */
public final class CudaBackend implements AutoCloseable {
    private final CudaContext cx;

    public CudaBackend(CudaContext cx) {
        this.cx = cx;
    }

    public CudaContext context() {
        return cx;
    }

    public static boolean hasMatvec(GgmlType t) {
        try {
            kernel(t, Product.GENERATION);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Tokens per tile of the prompt kernels (matmul_TYPE_t8). */
    public static final int TOKEN_TILE = 8;

    /**
     * out[t][r] = W[r] · x[t] for ntok tokens; W is rows × cols of type {@code type}, packed rows. One token: the
     * generation kernel; more: the tiled kernel, which reads each weight once per {@link #TOKEN_TILE} tokens.
     */
    public void matvec(GgmlType type, DeviceBuffer w, int rows, int cols, DeviceBuffer x, DeviceBuffer out, int ntok) {
        if (cols % type.blockSize() != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type.ggmlName() + " blocks");
        if (ntok == 1) {
            cx.launch(kernel(type, Product.GENERATION), (rows + 3) / 4, 1, 128, w, x, out, rows, cols);
        } else {
            cx.launch(kernel(type, Product.TILED), (rows + 3) / 4, (ntok + TOKEN_TILE - 1) / TOKEN_TILE, 128, w, x, out, rows, cols, ntok);
        }
    }

    /**
     * One matrix per head (MLA's attn_k_b and attn_v_b: nHead matrices of rows × cols, packed): out[h] = W[h] · x[h],
     * x nHead × cols, out nHead × rows.
     */
    public void matvecHeads(GgmlType type, DeviceBuffer w, int rows, int cols, int nHead, DeviceBuffer x, DeviceBuffer out) {
        if (cols % type.blockSize() != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type.ggmlName() + " blocks");
        cx.launch(kernel(type, Product.HEADS), (rows + 3) / 4, nHead, 128, w, x, out, rows, cols);
    }

    /** The three product kernels of each weight type: generation, 8-token tiles, one matrix per head. */
    enum Product { GENERATION, TILED, HEADS }

    static Kernel kernel(GgmlType type, Product p) {
        Kernel[] k = switch (type) {
            case Q8_0 -> new Kernel[] {Kernel.MATVEC_Q8_0, Kernel.MATMUL_Q8_0_T8, Kernel.MATVEC_Q8_0_HEADS};
            case Q4_K -> new Kernel[] {Kernel.MATVEC_Q4_K, Kernel.MATMUL_Q4_K_T8, Kernel.MATVEC_Q4_K_HEADS};
            case Q5_K -> new Kernel[] {Kernel.MATVEC_Q5_K, Kernel.MATMUL_Q5_K_T8, Kernel.MATVEC_Q5_K_HEADS};
            case Q6_K -> new Kernel[] {Kernel.MATVEC_Q6_K, Kernel.MATMUL_Q6_K_T8, Kernel.MATVEC_Q6_K_HEADS};
            case IQ4_XS -> new Kernel[] {Kernel.MATVEC_IQ4_XS, Kernel.MATMUL_IQ4_XS_T8, Kernel.MATVEC_IQ4_XS_HEADS};
            case F32 -> new Kernel[] {Kernel.MATVEC_F32, Kernel.MATMUL_F32_T8, Kernel.MATVEC_F32_HEADS};
            case F16 -> new Kernel[] {Kernel.MATVEC_F16, Kernel.MATMUL_F16_T8, Kernel.MATVEC_F16_HEADS};
            case BF16 -> new Kernel[] {Kernel.MATVEC_BF16, Kernel.MATMUL_BF16_T8, Kernel.MATVEC_BF16_HEADS};
            default -> throw new IllegalArgumentException("no CUDA product for " + type.ggmlName() + " yet");
        };
        return k[p.ordinal()];
    }

    public void rmsNorm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer out, int n, int ntok, float eps) {
        cx.launch(Kernel.RMS_NORM, ntok, 1, 256, x, w, out, n, eps);
    }

    /** In place on x (ntok × nhead × headStride); positions: ntok ints on the device. */
    public void rope(DeviceBuffer x, DeviceBuffer positions, int ntok, int nhead, int headStride, int nDims, RopeParams p) {
        cx.launch(Kernel.ROPE_NORM, nhead, ntok, Math.min(256, Math.max(32, nDims / 2)), x, positions, nhead, headStride, nDims,
                p.freqBase(), p.freqScale(), p.extFactor(), p.attnFactor(), p.corrLow(), p.corrHigh());
    }

    public void softmax(DeviceBuffer x, int rows, int n, float scale) {
        cx.launch(Kernel.SOFTMAX_ROWS, rows, 1, 256, x, n, scale);
    }

    public void swiglu(DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, long n) {
        cx.launch(Kernel.SWIGLU, (int) ((n + 255) / 256), 1, 256, gate, up, out, n);
    }

    /** One query token over nKv f16 cache rows of a llama cache (K and V n_kv × nHeadKv × hd); scores is nHead × nKv f32 scratch. */
    public void attention(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer scores, DeviceBuffer out,
                          int nKv, int nHead, int nHeadKv, int hd, float scale) {
        attention(GgmlType.F16, q, k, v, scores, out, nKv, nHead, nHeadKv, hd, hd, hd, scale);
    }

    /**
     * MLA over ik's latent cache (-mla 2/3), f16 or q8_0: every head reads the one cache row c^KV = [latent (kvLoraRank)
     * | rope (nRot)]; q is nHead × (kvLoraRank + nRot) (q_nope already absorbed by attn_k_b, then q_pe); out is
     * nHead × kvLoraRank latent outputs (attn_v_b maps them to values).
     */
    public void mlaAttention(GgmlType cacheType, DeviceBuffer q, DeviceBuffer cache, DeviceBuffer scores, DeviceBuffer out, int nKv, int nHead,
                             int kvLoraRank, int nRot, float scale) {
        attention(cacheType, q, cache, cache, scores, out, nKv, nHead, 1, kvLoraRank + nRot, kvLoraRank, kvLoraRank + nRot, scale);
    }

    /**
     * The general form over an f16 or q8_0 cache: K rows of hdK values; values are hdV values every vStride values of v
     * (for q8_0, hdK and vStride are whole blocks of 32).
     */
    public void attention(GgmlType cacheType, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer scores, DeviceBuffer out,
                          int nKv, int nHead, int nHeadKv, int hdK, int hdV, int vStride, float scale) {
        if (hdV > 1024 || nHead % nHeadKv != 0 || hdV > vStride) {
            throw new IllegalArgumentException("value size " + hdV + " (stride " + vStride + "), heads " + nHead + "/" + nHeadKv);
        }
        boolean q8 = switch (cacheType) {
            case F16 -> false;
            case Q8_0 -> true;
            default -> throw new IllegalArgumentException("no CUDA attention over a " + cacheType.ggmlName() + " cache");
        };
        if (q8 && (hdK % 32 != 0 || vStride % 32 != 0)) throw new IllegalArgumentException("q8_0 cache rows of " + hdK + "/" + vStride + " values");
        cx.launch(q8 ? Kernel.ATTN_SCORES_Q8_0 : Kernel.ATTN_SCORES, (nKv + 255) / 256, nHead, 256, q, k, scores, nKv, nHead, nHeadKv, hdK);
        softmax(scores, nHead, nKv, scale);
        cx.launch(q8 ? Kernel.ATTN_VALUES_Q8_0 : Kernel.ATTN_VALUES, nHead, 1, hdV, scores, v, out, nKv, nHead, nHeadKv, hdV, vStride);
    }

    /**
     * Expert routing for ntok tokens (route.cu): logits ntok × nExpert; bias nExpert floats or null; scratch
     * ntok × 2 × nExpert floats; ids and weights ntok × used.
     */
    public void route(DeviceBuffer logits, DeviceBuffer bias, DeviceBuffer scratch, DeviceBuffer ids, DeviceBuffer weights, int ntok, RouteParams p) {
        if (p.nGroup() > 32) throw new IllegalArgumentException(p.nGroup() + " expert groups (at most 32)");
        cx.launch(Kernel.ROUTE_EXPERTS, ntok, 1, 32, logits, bias != null ? bias : logits, scratch, ids, weights, p.nExpert(), p.used(), p.nGroup(),
                p.groupUsed(), bias != null ? 1 : 0, p.sigmoid() ? 1 : 0, p.normalize() ? 1 : 0, p.scale());
    }

    /** n f32 values into an f16 cache (dst: 2n bytes, e.g. a slice at a cache row). */
    public void storeF16(DeviceBuffer x, DeviceBuffer dst, long n) {
        cx.launch(Kernel.STORE_F16, (int) ((n + 255) / 256), 1, 256, x, dst, n);
    }

    /** n f32 values (whole blocks of 32) into a q8_0 cache (dst: n / 32 × 34 bytes). */
    public void storeQ8_0(DeviceBuffer x, DeviceBuffer dst, long n) {
        if (n % 32 != 0) throw new IllegalArgumentException(n + " values are not whole q8_0 blocks");
        long blocks = n / 32;
        cx.launch(Kernel.STORE_Q8_0, (int) ((blocks + 255) / 256), 1, 256, x, dst, blocks);
    }

    /** a += b over n values (the residual). */
    public void add(DeviceBuffer a, DeviceBuffer b, long n) {
        cx.launch(Kernel.ADD_INPLACE, (int) ((n + 255) / 256), 1, 256, a, b, n);
    }

    @Override
    public void close() {
        cx.close();
    }
}
