package kiln.runtime.kernel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one parallel step costs the forward pass ({@code Backend.matmul} hands the pool one step per product,
 * hundreds per token): {@link WorkerPool#run} with {@code tasks} near-empty tasks on {@code threads} threads, back to
 * back as a token's products come, for today's pool ({@code pool=spinning}: one atomic ticket, workers spin ~2 ms
 * before parking, as ggml's pool does) and the pool it replaced ({@code pool=locked}: {@link LockedPool}, a lock and
 * two conditions per step, kept here only as the baseline). Run with
 * {@code JMH_BENCHMARKS=WorkerPoolBenchmarks bench/jmh.sh} on a machine with at least {@code threads} free cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1)
public class WorkerPoolBenchmarks {

    @Param({"2"})
    public int threads;

    /** Backend hands out about four tasks per thread. */
    @Param({"8"})
    public int tasks;

    @Param({"spinning", "locked"})
    public String pool;

    private Runner runner;
    private final long[] sink = new long[64 * 16];
    private final WorkerPool.Body body = (task, worker) -> sink[worker * 16] += task; // one cache line per worker

    /** The two pools behind one call. */
    private interface Runner extends AutoCloseable {
        void run(int n, WorkerPool.Body b);

        @Override
        void close();
    }

    @Setup(Level.Trial)
    public void setup() {
        if (pool.equals("spinning")) {
            WorkerPool p = new WorkerPool(threads);
            runner = new Runner() {
                public void run(int n, WorkerPool.Body b) { p.run(n, b); }
                public void close() { p.close(); }
            };
        } else {
            LockedPool p = new LockedPool(threads);
            runner = new Runner() {
                public void run(int n, WorkerPool.Body b) { p.run(n, b); }
                public void close() { p.close(); }
            };
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }

    /** One step: hand out the tasks, run a share on the caller, wait for the rest. */
    @Benchmark
    public long step() {
        runner.run(tasks, body);
        return sink[0];
    }

    /**
     * The pool of Kiln's first runtime (git 40e2e43^, {@code WorkerPool}): a step is published under a lock and
     * signalled on a condition; the caller waits on a second one. The baseline of {@link #step}, not used elsewhere.
     */
    static final class LockedPool implements AutoCloseable {
        private final Thread[] workers;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition start = lock.newCondition();
        private final Condition finished = lock.newCondition();
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private WorkerPool.Body body;
        private int tasks;
        private long generation;
        private int busy;
        private boolean closed;

        LockedPool(int threads) {
            this.workers = new Thread[Math.max(1, threads) - 1];
            for (int i = 0; i < workers.length; i++) {
                final int id = i + 1;
                Thread t = new Thread(() -> loop(id), "locked-pool-" + id);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void run(int n, WorkerPool.Body b) {
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
            if (failure.get() != null) throw new RuntimeException(failure.get());
        }

        private void work(int worker, WorkerPool.Body b, int n) {
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
                WorkerPool.Body b;
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
}
