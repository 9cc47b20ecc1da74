package kiln.runtime.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads for the forward pass: {@link #run} hands out task indices [0, n) to the
 * caller and the workers and returns when all are done. Created once per model; nothing is allocated per call.
 *
 * <p>Hand-off as ggml's thread pool does it: no lock. A step is published by one volatile write of a ticket
 * (step number in the high 32 bits, next task index in the low 32); idle workers spin on it for a while
 * ({@link #SPIN_NANOS}) and only then park, so the steps of one token (one per matrix product, hundreds per
 * token) find the workers awake. Tasks are claimed by compare-and-set on the ticket, which also stops a worker
 * that arrives late from taking a task of a later step; the step's body is read under a seqlock so that a late
 * worker never pairs one step's ticket with the next step's body. The caller counts finished tasks, spinning then
 * parking.
 */
public final class WorkerPool implements AutoCloseable {

    /** One parallel step; {@code worker} in [0, threads) selects per-thread scratch. */
    public interface Body {
        void run(int task, int worker);
    }

    /** How long an idle worker (or the waiting caller) spins before it parks. */
    static final long SPIN_NANOS = 2_000_000;

    private final int threads;
    private final Thread[] workers;
    /** Step number (high 32 bits) and the next unclaimed task (low 32 bits). */
    private final AtomicLong ticket = new AtomicLong();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Per worker: parked (or about to park) and waiting for an unpark. */
    private final AtomicInteger[] sleeping;
    private volatile Body body;
    private volatile int tasks;
    /** The step that {@link #body} and {@link #tasks} belong to; −1 while they are being replaced (a seqlock). */
    private volatile int bodyStep = -1;
    private volatile Thread waitingCaller;
    private volatile boolean closed;
    private int step;

    public WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        this.sleeping = new AtomicInteger[workers.length];
        for (int i = 0; i < workers.length; i++) {
            sleeping[i] = new AtomicInteger();
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
        step++;
        bodyStep = -1;
        body = b;
        tasks = n;
        bodyStep = step;
        failure.set(null);
        finished.set(0);
        ticket.set((long) step << 32); // publishes the step
        for (int i = 0; i < workers.length; i++) {
            if (sleeping[i].get() != 0) LockSupport.unpark(workers[i]);
        }
        work(0, step, b, n);
        if (finished.get() < n) awaitFinished(n);
        body = null;
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new RuntimeException(t);
    }

    private void awaitFinished(int n) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (finished.get() < n) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
                continue;
            }
            waitingCaller = Thread.currentThread();
            if (finished.get() < n) LockSupport.parkNanos(this, 100_000);
            waitingCaller = null;
        }
    }

    /** Claims the next task of step {@code s}, or −1 when that step has none left (or is over). */
    private int claim(int s, int n) {
        while (true) {
            long t = ticket.get();
            if ((int) (t >>> 32) != s) return -1;
            int i = (int) t;
            if (i >= n) return -1;
            if (ticket.compareAndSet(t, t + 1)) return i;
        }
    }

    private void work(int worker, int s, Body b, int n) {
        for (int i; (i = claim(s, n)) >= 0; ) {
            try {
                if (failure.get() == null) b.run(i, worker);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            if (finished.incrementAndGet() == n) {
                Thread c = waitingCaller;
                if (c != null) LockSupport.unpark(c);
            }
        }
    }

    private void loop(int id) {
        AtomicInteger asleep = sleeping[id - 1];
        int seen = 0;
        while (true) {
            int s = awaitStep(seen, asleep);
            if (s < 0) return;
            seen = s;
            // body and size as a consistent pair of this step (they may already belong to a later one: then skip)
            int before = bodyStep;
            Body b = body;
            int n = tasks;
            if (before == s && bodyStep == s && b != null) work(id, s, b, n);
        }
    }

    /** Waits (spinning, then parked) for a step other than {@code seen}; −1 when the pool is closed. */
    private int awaitStep(int seen, AtomicInteger asleep) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (true) {
            if (closed) return -1;
            int s = (int) (ticket.get() >>> 32);
            if (s != seen) return s;
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
                continue;
            }
            asleep.set(1);
            // re-check after announcing sleep: run() writes the ticket, then reads the flag
            if ((int) (ticket.get() >>> 32) == seen && !closed) LockSupport.park(this);
            asleep.set(0);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
