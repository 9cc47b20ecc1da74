package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import kiln.tensor.KilnException;

import java.io.IOException;

/** {@code /health}, {@code /v1/models}, {@code /metrics}, {@code /tokenize}, {@code /detokenize}, {@code /apply-template}. */
final class UtilityEndpoints {
    private final ServedModel served;
    private final Scheduler scheduler;
    private final Metrics metrics;
    private final long created = System.currentTimeMillis() / 1000;

    UtilityEndpoints(ServedModel served, Scheduler scheduler, Metrics metrics) {
        this.served = served;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    void health(HttpExchange ex) throws IOException {
        ObjectNode o = Http.JSON.createObjectNode();
        o.put("status", "ok");
        o.put("slots_idle", scheduler.slotCount() - scheduler.busySlots());
        o.put("slots_processing", scheduler.busySlots());
        Http.sendJson(ex, 200, o);
    }

    void models(HttpExchange ex) throws IOException {
        ObjectNode o = Http.JSON.createObjectNode();
        o.put("object", "list");
        ObjectNode m = o.putArray("data").addObject();
        m.put("id", served.name);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "kiln");
        ObjectNode meta = m.putObject("meta");
        meta.put("n_ctx", scheduler.nCtx());
        meta.put("n_vocab", served.model.nVocab());
        meta.put("slots", scheduler.slotCount());
        Http.sendJson(ex, 200, o);
    }

    void metrics(HttpExchange ex) throws IOException {
        Http.sendText(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.render(scheduler.queued(), scheduler.busySlots(), scheduler.slotCount()));
    }

    /** {"content", "add_special" (false), "with_pieces" (false)} → {"tokens": [ids | {id, piece}]}, as llama-server. */
    void tokenize(HttpExchange ex, JsonNode body) throws IOException {
        JsonNode c = body.get("content");
        if (c == null || !c.isTextual()) throw ApiError.badParam("content", "content must be a string");
        boolean addSpecial = SamplingParams.bool(body, "add_special", false);
        boolean pieces = SamplingParams.bool(body, "with_pieces", false);
        int[] ids = served.tokenizer().encode(c.asText(), addSpecial, true);
        ObjectNode o = Http.JSON.createObjectNode();
        ArrayNode a = o.putArray("tokens");
        for (int id : ids) {
            if (pieces) a.addObject().put("id", id).put("piece", served.tokenizer().decode(new int[]{id}));
            else a.add(id);
        }
        Http.sendJson(ex, 200, o);
    }

    /** {"tokens": [ids]} → {"content"}. */
    void detokenize(HttpExchange ex, JsonNode body) throws IOException {
        JsonNode t = body.get("tokens");
        if (t == null || !t.isArray()) throw ApiError.badParam("tokens", "tokens must be an array of token ids");
        int[] ids = new int[t.size()];
        int vocab = served.model.nVocab();
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = t.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() >= vocab) {
                throw ApiError.badParam("tokens", "tokens[" + i + "] = " + v + " is not a token id (0 … " + (vocab - 1) + ")");
            }
            ids[i] = v.asInt();
        }
        ObjectNode o = Http.JSON.createObjectNode();
        o.put("content", served.tokenizer().decode(ids));
        Http.sendJson(ex, 200, o);
    }

    /** {"messages"} → {"prompt"}: the rendered chat template, exactly the text a chat request tokenizes. */
    void applyTemplate(HttpExchange ex, JsonNode body) throws IOException {
        var messages = ChatMessages.parse(body);
        ObjectNode o = Http.JSON.createObjectNode();
        try {
            o.put("prompt", served.render(messages));
        } catch (KilnException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        Http.sendJson(ex, 200, o);
    }
}
