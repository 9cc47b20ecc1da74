package kiln.runtime.model;

import kiln.tensor.Fp16;
import kiln.tensor.KilnException;

/**
 * One side (K or V) of the KV cache: per layer, {@code nCtx} rows of {@code width} values, stored as f32, f16
 * or q8_0 (blocks of 32 values with an f16 scale, quantized as ggml's quantize_row_q8_0_ref).
 */
final class KvStore {
    enum Type {
        F32, F16, Q8_0;

        static Type parse(String s) {
            return switch (s.toLowerCase()) {
                case "f32" -> F32;
                case "f16" -> F16;
                case "q8_0" -> Q8_0;
                default -> throw new KilnException("cache type '" + s + "' is not supported; use f16, q8_0 or f32");
            };
        }
    }

    final Type type;
    final int width, nCtx;
    private final float[][] f32;
    private final short[][] f16;
    private final byte[][] q;
    private final float[][] qd;

    /** The heap a store of these dimensions takes (to check before allocating it). */
    static long heapBytes(Type type, long nLayer, long nCtx, long width) {
        long values = nLayer * nCtx * width;
        return switch (type) {
            case F32 -> 4 * values;
            case F16 -> 2 * values;
            case Q8_0 -> values + values / 32 * 4;
        };
    }

    KvStore(Type type, int nLayer, int nCtx, int width) {
        this.type = type;
        this.width = width;
        this.nCtx = nCtx;
        if (type == Type.Q8_0 && width % 32 != 0) {
            throw new KilnException("a q8_0 cache needs rows that are a multiple of 32 values; this model's rows have " + width);
        }
        long perLayer = (long) nCtx * width;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new KilnException("a KV cache of " + nCtx + " positions × " + width + " values does not fit one Java array per layer;"
                    + " use a smaller -c" + (width > 1024 ? " or an MLA mode with a latent cache (-mla 1..3)" : ""));
        }
        f32 = type == Type.F32 ? new float[nLayer][(int) ((long) nCtx * width)] : null;
        f16 = type == Type.F16 ? new short[nLayer][(int) ((long) nCtx * width)] : null;
        q = type == Type.Q8_0 ? new byte[nLayer][(int) ((long) nCtx * width)] : null;
        qd = type == Type.Q8_0 ? new float[nLayer][nCtx * width / 32] : null;
    }

    /** Bytes this store holds (all layers). */
    long bytes() {
        long n = (long) (f32 != null ? f32.length : f16 != null ? f16.length : q.length) * nCtx * width;
        return switch (type) {
            case F32 -> 4 * n;
            case F16 -> 2 * n;
            case Q8_0 -> n + 4 * (n / 32);
        };
    }

    /**
     * llama.cpp's KV-cache line: total, then each side with its type, in MiB; for the latent (MLA) cache, which holds
     * K and V, ik_llama.cpp's flash-attention form ("c^KV (f16): … MiB, kv^T: not used").
     */
    static String sizeLine(KvStore k, KvStore v) {
        long total = k.bytes() + (v != null ? v.bytes() : 0);
        String line = String.format(java.util.Locale.ROOT, "KV self size = %.2f MiB, %s (%s): %.2f MiB", total / 1048576.0,
                v != null ? "K" : "c^KV", k.type.name().toLowerCase(java.util.Locale.ROOT), k.bytes() / 1048576.0);
        if (v != null) line += String.format(java.util.Locale.ROOT, ", V (%s): %.2f MiB", v.type.name().toLowerCase(java.util.Locale.ROOT), v.bytes() / 1048576.0);
        else line += ", kv^T: not used";
        return line;
    }

    void put(int layer, int pos, float[] src, int off) {
        int base = pos * width;
        switch (type) {
            case F32 -> System.arraycopy(src, off, f32[layer], base, width);
            case F16 -> {
                short[] d = f16[layer];
                for (int i = 0; i < width; i++) d[base + i] = Fp16.floatToHalf(src[off + i]);
            }
            case Q8_0 -> {
                byte[] d = q[layer];
                for (int b = 0; b < width / 32; b++) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[off + b * 32 + i]));
                    float scale = amax / 127.0f;
                    float id = scale != 0 ? 1.0f / scale : 0.0f;
                    qd[layer][base / 32 + b] = Fp16.halfToFloat(Fp16.floatToHalf(scale));
                    for (int i = 0; i < 32; i++) d[base + b * 32 + i] = (byte) roundf(src[off + b * 32 + i] * id);
                }
            }
        }
    }

    /** C's roundf: half away from zero. */
    private static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** Values [from, from+len) of row pos into dst[off..]. */
    void get(int layer, int pos, int from, int len, float[] dst, int off) {
        int base = pos * width + from;
        switch (type) {
            case F32 -> System.arraycopy(f32[layer], base, dst, off, len);
            case F16 -> {
                short[] s = f16[layer];
                for (int i = 0; i < len; i++) dst[off + i] = Float.float16ToFloat(s[base + i]);
            }
            case Q8_0 -> {
                byte[] s = q[layer];
                float[] d = qd[layer];
                for (int i = 0; i < len; i++) dst[off + i] = s[base + i] * d[(base + i) / 32];
            }
        }
    }
}
