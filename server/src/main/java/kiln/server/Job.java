package kiln.server;

import kiln.runtime.sample.Sampler;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One generation request between its HTTP handler and the {@link Scheduler}: the prompt's tokens and sampling go
 * in, the generated tokens come out as {@link Event}s in order, ending with {@link Done} or {@link Failed}.
 * {@link #cancel} (client gone, stop string seen) frees the slot at the scheduler's next step.
 */
final class Job {
    sealed interface Event permits Token, Done, Failed {}

    record Token(int id) implements Event {}

    /** finishReason: "stop" (end of generation token) or "length" (max_tokens, the token cap or the context). */
    record Done(String finishReason) implements Event {}

    record Failed(String message) implements Event {}

    final int[] prompt;
    final int maxTokens;
    final Sampler sampler;
    final boolean ignoreEos;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled, clientGone;

    final long queuedNanos = System.nanoTime();
    /** Written by the scheduler before it sends the last event (read after it). */
    volatile long startNanos, promptDoneNanos, endNanos;
    volatile int cachedTokens, slot = -1;

    Job(int[] prompt, int maxTokens, Sampler sampler, boolean ignoreEos) {
        this.prompt = prompt;
        this.ignoreEos = ignoreEos;
        this.maxTokens = maxTokens;
        this.sampler = sampler;
    }

    /** Ends the job at the scheduler's next step: the answer is complete (a stop string), or nobody is listening. */
    void cancel(boolean clientGone) {
        this.clientGone |= clientGone;
        cancelled = true;
    }

    boolean clientGone() {
        return clientGone;
    }

    boolean cancelled() {
        return cancelled;
    }

    /** llama-server's {@code timings} object fields, from the scheduler's clock. */
    double promptMs() {
        return (promptDoneNanos - startNanos) / 1e6;
    }

    double generationMs() {
        return (endNanos - promptDoneNanos) / 1e6;
    }
}
