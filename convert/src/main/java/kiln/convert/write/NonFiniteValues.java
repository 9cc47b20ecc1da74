package kiln.convert.write;

import kiln.tensor.KilnException;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What convert does with NaN and infinities in a checkpoint's values: refuse the tensor in one line (the default: a
 * model with them generates garbage, and the quantizing path refuses them too), or, with {@code --allow-nonfinite},
 * write them as they are into float (f32/f16/bf16) tensors and count them per tensor for one warning line each; quantized
 * tensors cannot hold them and always refuse them.
 */
public final class NonFiniteValues {
    private final boolean allowed;
    private final Map<String, AtomicLong> counts = new ConcurrentSkipListMap<>();

    private NonFiniteValues(boolean allowed) {
        this.allowed = allowed;
    }

    public static NonFiniteValues refused() {
        return new NonFiniteValues(false);
    }

    public static NonFiniteValues allowed() {
        return new NonFiniteValues(true);
    }

    /** Checks values[off..off+n) of tensor {@code name}, the elements from {@code first} on, rows of {@code rowLen}. Thread-safe. */
    void check(String name, float[] values, int off, int n, long first, long rowLen) {
        long bad = 0;
        for (int i = 0; i < n; i++) {
            float v = values[off + i];
            if (Float.isFinite(v)) continue;
            if (!allowed) {
                long e = first + i;
                throw new KilnException("tensor " + name + " row " + e / rowLen + " column " + e % rowLen + " is " + v
                        + "; expected finite values (--allow-nonfinite writes them anyway)");
            }
            bad++;
        }
        if (bad > 0) counts.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(bad);
    }

    /** One line per tensor that had non-finite values written (empty when none or when they are refused). */
    public java.util.List<String> warnings() {
        java.util.List<String> lines = new java.util.ArrayList<>();
        counts.forEach((name, c) -> lines.add("warning: tensor " + name + " has " + c.get()
                + " non-finite values (NaN or infinity), written as they are (--allow-nonfinite)"));
        return lines;
    }
}
