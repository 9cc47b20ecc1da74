package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import kiln.runtime.sample.Sampler;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: the prompt (the chat template rendered, or
 * the text as given) tokenized and queued as a {@link Job}; the answer whole, or streamed as server-sent events
 * (OpenAI's chunks, then {@code data: [DONE]}). A client that goes away mid-stream cancels its job.
 */
final class CompletionEndpoint {
    private final ServedModel served;
    private final Scheduler scheduler;
    private final ServerConfig config;

    CompletionEndpoint(ServedModel served, Scheduler scheduler, ServerConfig config) {
        this.served = served;
        this.scheduler = scheduler;
        this.config = config;
    }

    void chat(HttpExchange ex, JsonNode body) throws IOException {
        served.check(body.path("model").asText(null));
        var messages = ChatMessages.parse(body);
        SamplingParams sp = SamplingParams.parse(body);
        String prompt;
        try {
            prompt = served.render(messages);
        } catch (KilnException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        ReasoningSplitter split = new ReasoningSplitter(served.reasoning, ReasoningSplitter.opensThinking(prompt));
        run(ex, true, prompt, sp, split);
    }

    void text(HttpExchange ex, JsonNode body) throws IOException {
        served.check(body.path("model").asText(null));
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) p = p.get(0);
        if (p == null || !p.isTextual()) throw ApiError.badParam("prompt", "prompt must be a string");
        run(ex, false, p.asText(), SamplingParams.parse(body), new ReasoningSplitter(false, false));
    }

    private void run(HttpExchange ex, boolean chat, String prompt, SamplingParams sp, ReasoningSplitter split) throws IOException {
        int[] ids = served.tokenize(prompt);
        int nCtx = scheduler.nCtx();
        if (ids.length >= nCtx) {
            throw ApiError.badParam("prompt", "the prompt is " + ids.length + " tokens but a slot's context is " + nCtx + " (-c); it must leave room for one token");
        }
        if (sp.maxTokens() == 0) throw ApiError.badParam("max_tokens", "max_tokens must be at least 1");
        int max = sp.maxTokens() < 0 ? Integer.MAX_VALUE : sp.maxTokens();
        if (config.tokenCap() > 0) max = Math.min(max, config.tokenCap());
        long seed = sp.seed() == -1 ? System.nanoTime() : sp.seed();
        Sampler sampler = new Sampler(served.model.nVocab(), sp.temperature(), sp.topK(), sp.topP(), sp.minP(), seed);
        Job job = new Job(ids, max, sampler, sp.ignoreEos());
        scheduler.submit(job);
        Completion c = new Completion(job, new TextOutput(sp.stop()), split);
        Chunks chunks = new Chunks(chat, served.name);
        if (sp.stream()) stream(ex, c, chunks, sp.includeUsage());
        else whole(ex, c, chunks);
    }

    private void whole(HttpExchange ex, Completion c, Chunks chunks) throws IOException {
        try {
            while (!c.finished()) {
                Job.Event e = c.job.events.take();
                switch (e) {
                    case Job.Token t -> c.add(served.tokenizer().piece(t.id()));
                    case Job.Done d -> c.end(d.finishReason());
                    case Job.Failed f -> throw ApiError.internal(f.message());
                }
            }
        } catch (InterruptedException e) {
            c.job.cancel(true);
            Thread.currentThread().interrupt();
            throw ApiError.internal("the server is shutting down");
        }
        Http.sendJson(ex, 200, chunks.whole(c));
    }

    private void stream(HttpExchange ex, Completion c, Chunks chunks, boolean includeUsage) throws IOException {
        OutputStream os = Http.openEventStream(ex);
        try {
            if (chunks.chat) Http.sendEvent(os, chunks.first());
            while (!c.finished()) {
                Job.Event e = c.job.events.take();
                if (e instanceof Job.Failed f) {
                    Http.sendEvent(os, Http.JSON.writeValueAsString(Http.errorBody(ApiError.internal(f.message()))));
                    os.close();
                    return;
                }
                ReasoningSplitter.Delta d = e instanceof Job.Token t ? c.add(served.tokenizer().piece(t.id()))
                        : c.end(((Job.Done) e).finishReason());
                if (!d.isEmpty()) Http.sendEvent(os, chunks.delta(d));
            }
            Http.sendEvent(os, chunks.last(c));
            if (includeUsage) Http.sendEvent(os, chunks.usage(c));
            Http.sendEvent(os, "[DONE]");
            os.close();
        } catch (IOException e) { // the client went away: free its slot
            c.job.cancel(true);
        } catch (InterruptedException e) {
            c.job.cancel(true);
            Thread.currentThread().interrupt();
        }
    }

    /** The JSON objects of one response: whole, or as stream chunks sharing one id. */
    static final class Chunks {
        final boolean chat;
        final String model, id;
        final long created = System.currentTimeMillis() / 1000;

        Chunks(boolean chat, String model) {
            this.chat = chat;
            this.model = model;
            this.id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        }

        private ObjectNode head(boolean chunk) {
            ObjectNode o = Http.JSON.createObjectNode();
            o.put("id", id);
            o.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
            o.put("created", created);
            o.put("model", model);
            o.put("system_fingerprint", "kiln");
            return o;
        }

        private ObjectNode choice(ObjectNode o, String finishReason) {
            ObjectNode ch = o.putArray("choices").addObject();
            ch.put("index", 0);
            ch.putNull("logprobs");
            if (finishReason == null) ch.putNull("finish_reason");
            else ch.put("finish_reason", finishReason);
            return ch;
        }

        ObjectNode whole(Completion c) {
            ObjectNode o = head(false);
            ObjectNode ch = choice(o, c.finishReason);
            if (chat) {
                ObjectNode m = ch.putObject("message");
                m.put("role", "assistant");
                m.put("content", c.content.toString());
                if (c.split.enabled() && !c.reasoning.isEmpty()) m.put("reasoning_content", c.reasoning.toString());
                m.putNull("refusal");
            } else {
                ch.put("text", c.content.toString());
            }
            c.putUsage(o);
            c.putTimings(o);
            return o;
        }

        String first() throws IOException {
            ObjectNode o = head(true);
            ObjectNode d = choice(o, null).putObject("delta");
            d.put("role", "assistant");
            d.put("content", "");
            return Http.JSON.writeValueAsString(o);
        }

        String delta(ReasoningSplitter.Delta delta) throws IOException {
            ObjectNode o = head(true);
            ObjectNode ch = choice(o, null);
            if (chat) {
                ObjectNode d = ch.putObject("delta");
                if (!delta.content().isEmpty()) d.put("content", delta.content());
                if (!delta.reasoning().isEmpty()) d.put("reasoning_content", delta.reasoning());
            } else {
                ch.put("text", delta.content());
            }
            return Http.JSON.writeValueAsString(o);
        }

        String last(Completion c) throws IOException {
            ObjectNode o = head(true);
            ObjectNode ch = choice(o, c.finishReason);
            if (chat) ch.putObject("delta");
            else ch.put("text", "");
            c.putTimings(o);
            return Http.JSON.writeValueAsString(o);
        }

        /** stream_options.include_usage: a last chunk with no choices and the usage. */
        String usage(Completion c) throws IOException {
            ObjectNode o = head(true);
            o.putArray("choices");
            c.putUsage(o);
            return Http.JSON.writeValueAsString(o);
        }
    }
}
