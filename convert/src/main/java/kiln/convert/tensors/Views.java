package kiln.convert.tensors;

import java.util.List;
import java.util.function.LongUnaryOperator;

/** Re-arrangements of tensor data done by the converters: row maps (Q/K permutation, V split), expert stacks, the K transpose. */
public final class Views {
    private Views() {}

    /** Output row r (of {@code rowLen} elements) is source row {@code map(r)}; {@code rows} output rows. */
    public static TensorData rowMapped(TensorData src, long rowLen, long rows, LongUnaryOperator map) {
        return new TensorData() {
            public long elements() { return rowLen * rows; }

            public void read(long start, int n, float[] dst, int off) {
                while (n > 0) {
                    long r = start / rowLen;
                    long c = start - r * rowLen;
                    int k = (int) Math.min(n, rowLen - c);
                    src.read(map.applyAsLong(r) * rowLen + c, k, dst, off);
                    start += k;
                    off += k;
                    n -= k;
                }
            }
        };
    }

    /** torch.stack(parts, dim 0): all parts have the same element count. */
    public static TensorData stacked(List<? extends TensorData> parts) {
        long each = parts.getFirst().elements();
        return new TensorData() {
            public long elements() { return each * parts.size(); }

            public void read(long start, int n, float[] dst, int off) {
                while (n > 0) {
                    int p = (int) (start / each);
                    long s = start - p * each;
                    int k = (int) Math.min(n, each - s);
                    parts.get(p).read(s, k, dst, off);
                    start += k;
                    off += k;
                    n -= k;
                }
            }
        };
    }

    /**
     * The K part of kv_b, transposed per head: kv_b has rows h*(nope+v)+j of kvLora columns; the output is
     * [h][c][j] = kv_b[h*(nope+v)+j][c], i.e. rows (h, c) of nope elements.
     */
    public static TensorData kbTransposed(TensorData kvb, long heads, long nope, long v, long kvLora) {
        return new TensorData() {
            public long elements() { return heads * kvLora * nope; }

            public void read(long start, int n, float[] dst, int off) {
                long perHead = kvLora * nope;
                float[] block = new float[(int) perHead];
                while (n > 0) {
                    long h = start / perHead;
                    long local = start - h * perHead;
                    int k = (int) Math.min(n, perHead - local);
                    kvb.read(h * (nope + v) * kvLora, (int) perHead, block, 0);
                    for (int i = 0; i < k; i++) {
                        long l = local + i;
                        long c = l / nope;
                        long j = l - c * nope;
                        dst[off + i] = block[(int) (j * kvLora + c)];
                    }
                    start += k;
                    off += k;
                    n -= k;
                }
            }
        };
    }

    /** The V part of kv_b: output row (h, j) = kv_b row h*(nope+v)+nope+j. */
    public static TensorData vb(TensorData kvb, long heads, long nope, long v, long kvLora) {
        return rowMapped(kvb, kvLora, heads * v, r -> (r / v) * (nope + v) + nope + (r % v));
    }

    /** HF rotate-half → ggml adjacent pairs (LlamaModel.permute) over rows of {@code cols} elements. */
    public static TensorData llamaPermuted(TensorData w, long rows, long cols, long heads) {
        long hd = rows / heads;
        long half = hd / 2;
        return rowMapped(w, cols, rows, o -> {
            long g = o / hd;
            long i = o - g * hd;
            return g * hd + (i % 2) * half + i / 2;
        });
    }

    /**
     * attn_kv_b rebuilt from its two halves: row h*(nope+v)+j is column j of K-head h (k_b [h][c][j]) for j &lt; nope,
     * else row j-nope of V-head h (v_b [h][j-nope][c]).
     */
    public static TensorData kvbFromParts(TensorData kb, TensorData vb, long heads, long nope, long v, long kvLora) {
        return new TensorData() {
            public long elements() { return heads * (nope + v) * kvLora; }

            public void read(long start, int n, float[] dst, int off) {
                long perHead = kvLora * nope;
                float[] block = null;
                long cached = -1;
                while (n > 0) {
                    long r = start / kvLora;
                    long c = start - r * kvLora;
                    int k = (int) Math.min(n, kvLora - c);
                    long h = r / (nope + v);
                    long j = r - h * (nope + v);
                    if (j < nope) {
                        if (cached != h) {
                            if (block == null) block = new float[(int) perHead];
                            kb.read(h * perHead, (int) perHead, block, 0);
                            cached = h;
                        }
                        for (int i = 0; i < k; i++) dst[off + i] = block[(int) ((c + i) * nope + j)];
                    } else {
                        vb.read((h * v + (j - nope)) * kvLora + c, k, dst, off);
                    }
                    start += k;
                    off += k;
                    n -= k;
                }
            }
        };
    }
}
