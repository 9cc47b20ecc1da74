package kiln.cuda.oracle;

import kiln.tensor.Fp16;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Cache contents for the attention checks: random rows in an f16 or q8_0 cache's bytes, and the values they hold. */
public final class CacheBytes {
    private CacheBytes() {}

    /** n standard-normal values stored as the cache type stores them (f16 bits, or q8_0 blocks by Kiln's codec). */
    public static byte[] random(GgmlType type, Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        byte[] out = new byte[Math.toIntExact(type.rowSize(n))];
        MemorySegment seg = MemorySegment.ofArray(out);
        switch (type) {
            case F16 -> {
                for (int i = 0; i < n; i++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, Fp16.floatToHalf(v[i]));
            }
            case Q8_0 -> Codecs.find(type).quantize(v, 0, seg, 0, n, null);
            default -> throw new IllegalArgumentException("no " + type.ggmlName() + " cache");
        }
        return out;
    }

    /** The n values a cache of these bytes holds. */
    public static float[] values(GgmlType type, byte[] bytes, int n) {
        if (type == GgmlType.Q8_0) return AttentionOracle.fromQ8_0(bytes, n);
        short[] bits = new short[n];
        MemorySegment.ofArray(bits).copyFrom(MemorySegment.ofArray(bytes).asSlice(0, 2L * n));
        return AttentionOracle.fromF16(bits);
    }
}
