package kiln.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One request's output as it is assembled from the job's tokens: the visible text (stop strings cut), split into
 * reasoning and answer for chats, the finish reason, and the {@code usage} and {@code timings} objects.
 */
final class Completion {
    final Job job;
    final TextOutput text;
    final ReasoningSplitter split;
    final StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
    int tokens;
    String finishReason;

    Completion(Job job, TextOutput text, ReasoningSplitter split) {
        this.job = job;
        this.text = text;
        this.split = split;
    }

    /** Adds a token; returns what it makes visible (maybe nothing). A stop string ends the completion. */
    ReasoningSplitter.Delta add(byte[] piece) {
        tokens++;
        ReasoningSplitter.Delta d = split.add(text.add(piece));
        if (text.stopped()) {
            finishReason = "stop";
            job.cancel(false);
            d = concat(d, split.finish());
        }
        return record(d);
    }

    /** The scheduler ended the job: what was held back, now visible. */
    ReasoningSplitter.Delta end(String reason) {
        finishReason = reason.equals("cancelled") ? "stop" : reason;
        return record(concat(split.add(text.finish()), split.finish()));
    }

    boolean finished() {
        return finishReason != null;
    }

    private ReasoningSplitter.Delta record(ReasoningSplitter.Delta d) {
        reasoning.append(d.reasoning());
        content.append(d.content());
        return d;
    }

    private static ReasoningSplitter.Delta concat(ReasoningSplitter.Delta a, ReasoningSplitter.Delta b) {
        return new ReasoningSplitter.Delta(a.reasoning() + b.reasoning(), a.content() + b.content());
    }

    void putUsage(ObjectNode o) {
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", job.prompt.length);
        u.put("completion_tokens", tokens);
        u.put("total_tokens", job.prompt.length + tokens);
    }

    /** llama-server's timings object. */
    void putTimings(ObjectNode o) {
        long end = job.endNanos != 0 ? job.endNanos : System.nanoTime();
        long promptDone = job.promptDoneNanos != 0 ? job.promptDoneNanos : end;
        int promptN = job.prompt.length - job.cachedTokens;
        double promptMs = (promptDone - job.startNanos) / 1e6, genMs = (end - promptDone) / 1e6;
        ObjectNode t = o.putObject("timings");
        t.put("cache_n", job.cachedTokens);
        t.put("prompt_n", promptN);
        t.put("prompt_ms", promptMs);
        t.put("prompt_per_token_ms", promptN > 0 ? promptMs / promptN : 0);
        t.put("prompt_per_second", promptMs > 0 ? promptN * 1000.0 / promptMs : 0);
        t.put("predicted_n", tokens);
        t.put("predicted_ms", genMs);
        t.put("predicted_per_token_ms", tokens > 0 ? genMs / tokens : 0);
        t.put("predicted_per_second", genMs > 0 ? tokens * 1000.0 / genMs : 0);
    }
}
