package kiln.bench.roofline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;

/**
 * A STREAM-like triad {@code a[i] = b[i] + s·c[i]} over three off-heap float arrays much larger than the
 * caches, split over threads; bandwidth counts the bytes STREAM counts (two reads and one write per element).
 * The best of several runs is reported, as STREAM does. Measured once per process and cached.
 */
public final class MemoryBandwidth {
    private static volatile double cachedGbs = -1;

    private MemoryBandwidth() {}

    /** Bytes/s ÷ 1e9 of the triad with {@code threads} threads over arrays of {@code bytesPerArray}. */
    public static double measure(int threads, long bytesPerArray, int runs) {
        long n = bytesPerArray / 4;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(n * 4, 64);
            MemorySegment b = arena.allocate(n * 4, 64);
            MemorySegment c = arena.allocate(n * 4, 64);
            runParallel(threads, n, (from, to) -> {
                for (long i = from; i < to; i++) {
                    b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1.0f);
                    c.setAtIndex(ValueLayout.JAVA_FLOAT, i, 2.0f);
                }
            });
            double best = 0;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                runParallel(threads, n, (from, to) -> triad(a, b, c, 3.0f, from, to));
                double secs = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, 3.0 * n * 4 / secs / 1e9);
            }
            if (a.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1) != 7.0f) throw new IllegalStateException("triad computed a wrong value");
            return best;
        }
    }

    /** The machine's bandwidth with all cores over 3 × 256 MiB, measured on first use. */
    public static double machineGbs() {
        if (cachedGbs < 0) {
            synchronized (MemoryBandwidth.class) {
                if (cachedGbs < 0) cachedGbs = measure(Runtime.getRuntime().availableProcessors(), 256L << 20, 5);
            }
        }
        return cachedGbs;
    }

    static void triad(MemorySegment a, MemorySegment b, MemorySegment c, float s, long from, long to) {
        for (long i = from; i < to; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + s * c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    private interface Range {
        void run(long from, long to);
    }

    private static void runParallel(int threads, long n, Range body) {
        CountDownLatch done = new CountDownLatch(threads);
        long chunk = (n + threads - 1) / threads;
        for (int t = 0; t < threads; t++) {
            long from = Math.min(n, t * chunk);
            long to = Math.min(n, from + chunk);
            Thread th = new Thread(() -> {
                try {
                    body.run(from, to);
                } finally {
                    done.countDown();
                }
            }, "kiln-triad");
            th.setDaemon(true);
            th.start();
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
