package kiln.runtime.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of worker threads for the forward pass: {@link #run} hands out task indices [0, n) to the
 * caller and the workers and returns when all are done. Created once per model; nothing is allocated per call.
 */
public final class WorkerPool implements AutoCloseable {

    /** One parallel step; {@code worker} in [0, threads) selects per-thread scratch. */
    public interface Body {
        void run(int task, int worker);
    }

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition start = lock.newCondition();
    private final Condition finished = lock.newCondition();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private Body body;
    private int tasks;
    private long generation;
    private int busy;
    private boolean closed;

    public WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int id = i + 1;
            Thread t = new Thread(() -> loop(id), "kiln-runtime-" + id);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    public void run(int n, Body b) {
        if (n <= 0) return;
        if (workers.length == 0 || n == 1) {
            for (int i = 0; i < n; i++) b.run(i, 0);
            return;
        }
        lock.lock();
        try {
            body = b;
            tasks = n;
            next.set(0);
            failure.set(null);
            busy = workers.length;
            generation++;
            start.signalAll();
        } finally {
            lock.unlock();
        }
        work(0, b, n);
        lock.lock();
        try {
            while (busy > 0) finished.awaitUninterruptibly();
            body = null;
        } finally {
            lock.unlock();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new RuntimeException(t);
    }

    private void work(int worker, Body b, int n) {
        for (int i; failure.get() == null && (i = next.getAndIncrement()) < n; ) {
            try {
                b.run(i, worker);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }
    }

    private void loop(int id) {
        long seen = 0;
        while (true) {
            Body b;
            int n;
            lock.lock();
            try {
                while (generation == seen && !closed) start.awaitUninterruptibly();
                if (closed) return;
                seen = generation;
                b = body;
                n = tasks;
            } finally {
                lock.unlock();
            }
            work(id, b, n);
            lock.lock();
            try {
                if (--busy == 0) finished.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            start.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
