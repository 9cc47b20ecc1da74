package kiln.server;

import kiln.runtime.model.Model;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching over the model's parallel sequences: one thread owns the model; each step it gives waiting
 * requests the free slots (the slot whose cached tokens share the longest prefix with the prompt), then evaluates
 * ONE micro-batch holding the next token of every generating slot and as many prompt tokens of starting slots as
 * fit ({@link Model#evaluateBatch}), and samples each slot's next token. A request joins at the next step;
 * a cancelled one frees its slot at the next step.
 */
final class Scheduler implements AutoCloseable {
    private final Model model;
    private final Slot[] slots;
    private final BlockingQueue<Job> queue;
    private final Metrics metrics;
    private final Thread thread;
    private volatile boolean closed;
    private final int ubatch, nCtx;
    private final int[] tokens, seq, pos, rows;
    private final Slot[] rowSlot;
    private final float[] logits;

    private final java.util.function.IntPredicate endOfGeneration;

    Scheduler(Model model, java.util.function.IntPredicate endOfGeneration, int parallel, int queueSize, Metrics metrics) {
        this.endOfGeneration = endOfGeneration;
        if (model.ubatch() < parallel) {
            throw new kiln.tensor.KilnException("-ub " + model.ubatch() + " is smaller than --parallel " + parallel + "; every slot needs a place in the batch");
        }
        this.model = model;
        this.metrics = metrics;
        this.nCtx = model.nCtx();
        this.ubatch = model.ubatch();
        this.slots = new Slot[parallel];
        for (int i = 0; i < parallel; i++) slots[i] = new Slot(i, nCtx, model.nVocab());
        this.queue = new ArrayBlockingQueue<>(Math.max(1, queueSize));
        this.tokens = new int[ubatch];
        this.seq = new int[ubatch];
        this.pos = new int[ubatch];
        this.rows = new int[ubatch];
        this.rowSlot = new Slot[ubatch];
        this.logits = new float[parallel * model.nVocab()];
        this.thread = Thread.ofPlatform().name("kiln-scheduler").daemon().start(this::loop);
    }

    /** Queues a job, or refuses it with 429 when the queue is full. */
    void submit(Job job) {
        if (closed) throw ApiError.internal("the server is shutting down");
        if (!queue.offer(job)) {
            metrics.rejected.incrementAndGet();
            throw ApiError.busy(queue.size());
        }
    }

    int queued() {
        return queue.size();
    }

    int busySlots() {
        int n = 0;
        for (Slot s : slots) if (s.job != null) n++;
        return n;
    }

    int slotCount() {
        return slots.length;
    }

    int nCtx() {
        return nCtx;
    }

    private void loop() {
        while (!closed) {
            try {
                if (!admit()) continue;
                step();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                failAll(e);
            }
        }
        failAll(null);
    }

    /** Gives queued jobs the free slots; waits for one when every slot is idle. False: nothing to do yet. */
    private boolean admit() throws InterruptedException {
        boolean any = false;
        for (Slot s : slots) any |= s.job != null;
        while (true) {
            Slot free = null;
            for (Slot s : slots) if (s.job == null) { free = s; break; }
            if (free == null) return true;
            Job job = any ? queue.poll() : queue.poll(200, TimeUnit.MILLISECONDS);
            if (job == null) return any;
            if (job.cancelled()) {
                job.events.add(new Job.Done("cancelled"));
                continue;
            }
            start(bestSlot(job), job);
            any = true;
        }
    }

    /** The free slot sharing the longest prefix with the job's prompt; the least recently used among equals. */
    private Slot bestSlot(Job job) {
        Slot best = null;
        int bestPrefix = -1;
        for (Slot s : slots) {
            if (s.job != null) continue;
            int p = s.commonPrefix(job.prompt);
            if (p > bestPrefix || p == bestPrefix && s.lastUsed < best.lastUsed) {
                best = s;
                bestPrefix = p;
            }
        }
        return best;
    }

    private void start(Slot s, Job job) {
        int reuse = Math.min(s.commonPrefix(job.prompt), job.prompt.length - 1); // the last prompt token gives the logits
        s.nPast = reuse;
        s.job = job;
        s.pending = -1;
        s.generated = 0;
        job.slot = s.id;
        job.cachedTokens = reuse;
        job.startNanos = System.nanoTime();
        metrics.cachedTokens.addAndGet(reuse);
    }

    private void step() {
        int n = 0, r = 0;
        for (Slot s : slots) {
            if (s.job != null && s.job.cancelled()) finish(s, "cancelled");
        }
        for (Slot s : slots) {
            if (s.job == null || s.pending < 0) continue;
            add(s, s.pending, n);
            rowSlot[r] = s;
            rows[r++] = n++;
        }
        for (Slot s : slots) {
            if (!s.prefilling()) continue;
            int[] p = s.job.prompt;
            while (n < ubatch && s.nPast < p.length) add(s, p[s.nPast], n++);
            if (s.nPast == p.length) {
                rowSlot[r] = s;
                rows[r++] = n - 1;
            }
        }
        if (n == 0) return;
        model.evaluateBatch(tokens, seq, pos, n, rows, r, logits);
        metrics.steps.incrementAndGet();
        int vocab = model.nVocab();
        long now = System.nanoTime();
        for (int i = 0; i < r; i++) {
            Slot s = rowSlot[i];
            Job job = s.job;
            if (s.pending < 0) {
                job.promptDoneNanos = now;
                metrics.promptTokens.addAndGet(job.prompt.length - job.cachedTokens);
            }
            System.arraycopy(logits, i * vocab, s.logits, 0, vocab);
            int tok = job.sampler.sample(s.logits);
            if (!job.ignoreEos && endOfGeneration.test(tok)) {
                finish(s, "stop");
                continue;
            }
            s.generated++;
            metrics.generatedTokens.incrementAndGet();
            job.events.add(new Job.Token(tok));
            if (s.generated >= job.maxTokens || s.nPast >= nCtx) finish(s, "length");
            else s.pending = tok;
        }
    }

    /** Token t of the batch: the slot's next token at its next position (recorded as cached once evaluated). */
    private void add(Slot s, int token, int t) {
        tokens[t] = token;
        seq[t] = s.id;
        pos[t] = s.nPast;
        s.cache[s.nPast++] = token;
    }

    private void finish(Slot s, String reason) {
        Job job = s.job;
        job.endNanos = System.nanoTime();
        if (job.promptDoneNanos == 0) job.promptDoneNanos = job.endNanos;
        if (reason.equals("cancelled") && job.clientGone()) metrics.cancelled.incrementAndGet();
        job.events.add(new Job.Done(reason));
        s.job = null;
        s.pending = -1;
        s.lastUsed = System.nanoTime();
    }

    /** An evaluation failed: every request in flight gets the error, the slots' caches are forgotten. */
    private void failAll(Throwable e) {
        String msg = e == null ? "the server is shutting down" : "evaluation failed: " + e;
        for (Slot s : slots) {
            if (s.job != null) {
                s.job.events.add(new Job.Failed(msg));
                s.job = null;
            }
            s.pending = -1;
            s.nPast = 0;
        }
        if (e == null) for (Job j; (j = queue.poll()) != null; ) j.events.add(new Job.Failed(msg));
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j; (j = queue.poll()) != null; ) j.events.add(new Job.Failed("the server is shutting down"));
    }
}
