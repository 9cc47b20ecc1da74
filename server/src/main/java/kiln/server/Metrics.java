package kiln.server;

import java.util.concurrent.atomic.AtomicLong;

/** Counters and gauges of {@code GET /metrics}, in Prometheus' text format. */
final class Metrics {
    final AtomicLong requests = new AtomicLong(), errors = new AtomicLong(), rejected = new AtomicLong(), cancelled = new AtomicLong();
    final AtomicLong promptTokens = new AtomicLong(), cachedTokens = new AtomicLong(), generatedTokens = new AtomicLong();
    final AtomicLong steps = new AtomicLong();

    String render(int queued, int busySlots, int slots) {
        StringBuilder b = new StringBuilder();
        counter(b, "kiln_requests_total", "completion requests received", requests.get());
        counter(b, "kiln_request_errors_total", "requests answered with an error", errors.get());
        counter(b, "kiln_requests_rejected_total", "requests refused because the queue was full (429)", rejected.get());
        counter(b, "kiln_requests_cancelled_total", "requests whose client went away before the end", cancelled.get());
        counter(b, "kiln_prompt_tokens_total", "prompt tokens evaluated", promptTokens.get());
        counter(b, "kiln_prompt_tokens_cached_total", "prompt tokens reused from a slot's cache", cachedTokens.get());
        counter(b, "kiln_generated_tokens_total", "tokens generated", generatedTokens.get());
        counter(b, "kiln_decode_steps_total", "batched evaluation steps", steps.get());
        gauge(b, "kiln_queue_length", "requests waiting for a slot", queued);
        gauge(b, "kiln_slots_busy", "slots serving a request", busySlots);
        gauge(b, "kiln_slots_total", "slots (--parallel)", slots);
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(v).append('\n');
    }
}
