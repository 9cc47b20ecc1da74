package kiln.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/** Simple fixed-size parallel loops for the offline stages (convert, quantize, repack). */
public final class Parallel {
    private Parallel() {}

    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Runs {@code body(i)} for i in [0, n) on {@code threads} threads (work-stealing by index). The first failure
     * is rethrown (unwrapped when it is a RuntimeException or Error) after all workers stop.
     */
    public static void forEach(long n, int threads, LongConsumer body) {
        if (threads <= 1 || n <= 1) {
            for (long i = 0; i < n; i++) body.accept(i);
            return;
        }
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        try (ExecutorService pool = Executors.newFixedThreadPool((int) Math.min(threads, n), r -> {
            Thread t = new Thread(r, "kiln-worker");
            t.setDaemon(true);
            return t;
        })) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < Math.min(threads, n); w++) {
                fs.add(pool.submit(() -> {
                    for (long i; failure.get() == null && (i = next.getAndIncrement()) < n; ) {
                        try {
                            body.accept(i);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    }
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KilnException("interrupted", 1, e);
                } catch (ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                }
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        if (t != null) throw new RuntimeException(t);
    }
}
