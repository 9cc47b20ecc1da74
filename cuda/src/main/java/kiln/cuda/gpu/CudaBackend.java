package kiln.cuda.gpu;

import kiln.cuda.kernel.Kernel;
import kiln.cuda.oracle.RopeParams;
import kiln.tensor.GgmlType;

/**
 * The operations a full-offload llama needs, one method per kernel, with the launch geometry each .cu file states.
 * A skeleton: the model graphs (runtime's LlamaModel, DeepseekModel) do not call it yet, there is no stream
 * overlap, no pinned memory, no tiled prompt product, no MLA attention and no q8_0 cache.
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
        return t == GgmlType.Q8_0 || t == GgmlType.Q4_K || t == GgmlType.Q6_K;
    }

    /** out[t][r] = W[r] · x[t] for ntok tokens; W is rows × cols of type {@code type}, packed rows. */
    public void matvec(GgmlType type, DeviceBuffer w, int rows, int cols, DeviceBuffer x, DeviceBuffer out, int ntok) {
        Kernel k = switch (type) {
            case Q8_0 -> Kernel.MATVEC_Q8_0;
            case Q4_K -> Kernel.MATVEC_Q4_K;
            case Q6_K -> Kernel.MATVEC_Q6_K;
            default -> throw new IllegalArgumentException("no CUDA matvec for " + type.ggmlName() + " yet");
        };
        if (cols % type.blockSize() != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type.ggmlName() + " blocks");
        cx.launch(k, (rows + 3) / 4, ntok, 128, w, x, out, rows, cols);
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

    /** One query token over nKv f16 cache rows; scores is nhead × nKv f32 scratch. */
    public void attention(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer scores, DeviceBuffer out,
                          int nKv, int nHead, int nHeadKv, int hd, float scale) {
        if (hd > 1024 || nHead % nHeadKv != 0) throw new IllegalArgumentException("head size " + hd + ", heads " + nHead + "/" + nHeadKv);
        cx.launch(Kernel.ATTN_SCORES, (nKv + 255) / 256, nHead, 256, q, k, scores, nKv, nHead, nHeadKv, hd);
        softmax(scores, nHead, nKv, scale);
        cx.launch(Kernel.ATTN_VALUES, nHead, 1, hd, scores, v, out, nKv, nHead, nHeadKv, hd);
    }

    @Override
    public void close() {
        cx.close();
    }
}
