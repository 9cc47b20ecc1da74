package kiln.convert.tensors;

import kiln.convert.source.SourceTensor;
import kiln.tensor.Fp16;
import kiln.tensor.KilnException;
import kiln.tensor.LittleEndian;

import java.lang.foreign.MemorySegment;

/**
 * A checkpoint tensor read as f32 in its own element order: F32, F16 and BF16 exactly; F8_E4M3 multiplied by its
 * {@code _scale_inv} block scale as the reference converter does ({@code float32(w) * scale[i/bh][j/bw]}, one f32 multiply).
 */
public final class SourceData implements TensorData {
    private final SourceTensor t;
    private final SourceTensor scaleInv;
    private MemorySegment data;
    private final long elements;
    private final long cols;
    private MemorySegment scale;
    private final String scaleDtype;
    private final long blockRows;
    private final long blockCols;
    private final long scaleCols;

    private SourceData(SourceTensor t, SourceTensor scaleInv, long blockRows, long blockCols) {
        this.t = t;
        this.scaleInv = scaleInv;
        long[] s = t.shape();
        long n = 1;
        for (long d : s) n *= d;
        this.elements = n;
        this.cols = s.length == 0 ? 1 : s[s.length - 1];
        this.blockRows = blockRows;
        this.blockCols = blockCols;
        if (scaleInv != null) {
            this.scaleDtype = scaleInv.dtype();
            long[] ss = scaleInv.shape();
            this.scaleCols = ss.length == 2 ? ss[1] : 1;
        } else {
            this.scaleDtype = null;
            this.scaleCols = 0;
        }
    }

    public static SourceData of(SourceTensor t) {
        if (t.dtype().equals("F8_E4M3")) {
            throw new KilnException("tensor '" + t.name() + "': F8_E4M3 weight without a '" + t.name() + "_scale_inv' block scale");
        }
        return new SourceData(t, null, 0, 0);
    }

    /** An FP8 weight with its block scales (shape [ceil(rows/bh), ceil(cols/bw)]). */
    public static SourceData fp8(SourceTensor w, SourceTensor scaleInv, long blockRows, long blockCols) {
        long[] s = w.shape();
        long[] ss = scaleInv.shape();
        if (s.length != 2) throw new KilnException("tensor '" + w.name() + "': FP8 weight must be 2-D, got " + java.util.Arrays.toString(s));
        long er = (s[0] + blockRows - 1) / blockRows;
        long ec = (s[1] + blockCols - 1) / blockCols;
        if (ss.length != 2 || ss[0] != er || ss[1] != ec) {
            throw new KilnException("tensor '" + scaleInv.name() + "': shape " + java.util.Arrays.toString(ss) + ", expected [" + er + ", " + ec
                    + "] for weight " + java.util.Arrays.toString(s) + " with " + blockRows + "x" + blockCols + " blocks");
        }
        if (!scaleInv.dtype().equals("F32") && !scaleInv.dtype().equals("BF16") && !scaleInv.dtype().equals("F16")) {
            throw new KilnException("tensor '" + scaleInv.name() + "': unsupported scale dtype " + scaleInv.dtype());
        }
        return new SourceData(w, scaleInv, blockRows, blockCols);
    }

    public String dtype() {
        return t.dtype();
    }

    @Override
    public long elements() {
        return elements;
    }

    /**
     * The bytes are fetched on first read, not when the plan is made: a packed (.tar.gz) source loads a shard
     * only when asked, so memory stays at the shards being converted rather than the whole model.
     */
    private synchronized void load() {
        if (data == null) {
            data = t.data();
            if (scaleInv != null) scale = scaleInv.data();
        }
    }

    @Override
    public void read(long start, int n, float[] dst, int off) {
        if (data == null) load();
        switch (t.dtype()) {
            case "F32" -> MemorySegment.copy(data, LittleEndian.FLOAT, 4 * start, dst, off, n);
            case "F16" -> {
                short[] s = scratch(n);
                MemorySegment.copy(data, LittleEndian.SHORT, 2 * start, s, 0, n);
                for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(s[i]);
            }
            case "BF16" -> {
                short[] s = scratch(n);
                MemorySegment.copy(data, LittleEndian.SHORT, 2 * start, s, 0, n);
                for (int i = 0; i < n; i++) dst[off + i] = Float.intBitsToFloat((s[i] & 0xFFFF) << 16);
            }
            case "F8_E4M3" -> readFp8(start, n, dst, off);
            default -> throw new KilnException("tensor '" + t.name() + "': unsupported dtype " + t.dtype());
        }
    }

    private static final ThreadLocal<short[]> SCRATCH = ThreadLocal.withInitial(() -> new short[1 << 16]);

    private static short[] scratch(int n) {
        short[] s = SCRATCH.get();
        if (s.length < n) {
            s = new short[n];
            SCRATCH.set(s);
        }
        return s;
    }

    private static final ThreadLocal<byte[]> BYTES = ThreadLocal.withInitial(() -> new byte[1 << 16]);

    /** Row by row, one scale per run of up to {@code blockCols} columns, bytes copied in bulk. */
    private void readFp8(long start, int n, float[] dst, int off) {
        byte[] b = BYTES.get();
        if (b.length < n) {
            b = new byte[n];
            BYTES.set(b);
        }
        MemorySegment.copy(data, LittleEndian.BYTE, start, b, 0, n);
        int i = 0;
        while (i < n) {
            long e = start + i;
            long r = e / cols;
            long c = e - r * cols;
            long blockEnd = Math.min(cols, (c / blockCols + 1) * blockCols);
            int k = (int) Math.min(n - i, blockEnd - c);
            float s = scaleAt((r / blockRows) * scaleCols + c / blockCols);
            for (int j = 0; j < k; j++) dst[off + i + j] = Fp8E4M3.toFloat(b[i + j]) * s;
            i += k;
        }
    }

    private float scaleAt(long i) {
        return switch (scaleDtype) {
            case "F32" -> LittleEndian.f32(scale, 4 * i);
            case "BF16" -> Fp16.bf16ToFloat(LittleEndian.i16(scale, 2 * i));
            default -> LittleEndian.f16(scale, 2 * i);
        };
    }
}
