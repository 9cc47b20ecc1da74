package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import kiln.runtime.eval.Generation;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.sample.Sampler;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server as OpenAI's own Java client sees it, on tiny-llama with 4 slots: models, chat whole and streamed,
 * text completions, greedy output equal to {@code kiln run}'s on the same rendered prompt, 8 clients × 4 requests
 * at once each equal to the request made alone, and bad requests answered with the right status.
 */
class ServerChatTest {
    static TestServer server;
    static OpenAIClient client;
    static final int MAX = 16;

    @BeforeAll
    static void start() {
        if (!Fixtures.present()) return;
        server = new TestServer(TestServer.LLAMA, ServerConfig.loopback(4), null);
        client = client(server, "unused");
    }

    static OpenAIClient client(TestServer s, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(s.base() + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    static ChatCompletionCreateParams chat(String user, int max) {
        return ChatCompletionCreateParams.builder().model(TestServer.NAME).addUserMessage(user)
                .maxCompletionTokens(max).temperature(0.0).build();
    }

    @Test
    void modelsListsTheServedModel() {
        Fixtures.require();
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(TestServer.NAME, models.getFirst().id());
    }

    @Test
    void greedyChatEqualsKilnRunOnTheRenderedPrompt() throws Exception {
        Fixtures.require();
        String user = "ROMEO: What light through yonder window breaks?";
        ChatCompletion cc = client.chat().completions().create(chat(user, MAX));
        String content = cc.choices().getFirst().message().content().orElseThrow();

        HttpResponse<String> tr = server.call("POST", "/apply-template",
                "{\"messages\":[{\"role\":\"user\",\"content\":" + Http.JSON.writeValueAsString(user) + "}]}", null);
        assertEquals(200, tr.statusCode());
        String prompt = server.json(tr).get("prompt").asText();
        assertTrue(prompt.startsWith("<|im_start|>user\n" + user), prompt);
        // what `kiln run -p PROMPT -n 16 --temp 0` does: tokenize with BOS and special tokens, generate greedily
        try (var m = ModelLoader.load(Fixtures.file(TestServer.LLAMA), TestServer.options(TestServer.CTX))) {
            int[] ids = m.tokenizer().encode(prompt, true, true);
            Generation.Result r = Generation.run(m, ids, MAX, 2048, new Sampler(m.nVocab(), 0, 40, 0.95f, 0.05f, 1), false, null);
            assertEquals(m.tokenizer().decode(r.generated()), content);
            assertEquals(ids.length, cc.usage().orElseThrow().promptTokens());
            assertEquals(r.generated().length, cc.usage().orElseThrow().completionTokens());
        }
        assertFalse(content.isEmpty());
        assertTrue(cc._additionalProperties().containsKey("timings"));
    }

    @Test
    void streamedChatEqualsWholeChat() {
        Fixtures.require();
        String user = "JULIET: O Romeo, Romeo!";
        String whole = client.chat().completions().create(chat(user, MAX)).choices().getFirst().message().content().orElseThrow();
        StringBuilder streamed = new StringBuilder();
        List<String> finish = new ArrayList<>();
        long[] usage = {-1};
        ChatCompletionCreateParams p = chat(user, MAX).toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
            s.stream().forEach(chunk -> {
                for (ChatCompletionChunk.Choice c : chunk.choices()) {
                    c.delta().content().ifPresent(streamed::append);
                    c.finishReason().ifPresent(f -> finish.add(f.asString()));
                }
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        assertEquals(whole, streamed.toString());
        assertEquals(1, finish.size(), "one chunk carries the finish reason");
        assertTrue(usage[0] > 0, "include_usage gives a usage chunk");
    }

    @Test
    void textCompletionWithStop() {
        Fixtures.require();
        CompletionCreateParams p = CompletionCreateParams.builder().model(TestServer.NAME).prompt("ROMEO:")
                .maxTokens(40).temperature(0.0).build();
        String full = client.completions().create(p).choices().getFirst().text();
        assertTrue(full.length() > 3, full);
        String stop = full.substring(2, 4);
        Completion c = client.completions().create(p.toBuilder().stop(stop).build());
        assertEquals(full.substring(0, full.indexOf(stop)), c.choices().getFirst().text());
        assertEquals("stop", c.choices().getFirst().finishReason().asString());
    }

    @Test
    void eightClientsFourRequestsEachEqualTheRequestAlone() throws Exception {
        Fixtures.require();
        String[] users = {"ROMEO:", "JULIET: Ay me!", "Tell me a tale.", "MERCUTIO: A plague", "Good morrow, cousin.",
                "What say you?", "NURSE: Madam!", "Come, come with me"};
        Map<String, String> alone = new HashMap<>();
        for (String u : users) alone.put(u, client.chat().completions().create(chat(u, MAX)).choices().getFirst().message().content().orElseThrow());
        long steps0 = metric("kiln_decode_steps_total"), tokens0 = metric("kiln_generated_tokens_total");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<List<String[]>>> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int ci = c;
                clients.add(pool.submit(() -> {
                    List<String[]> got = new ArrayList<>();
                    for (int r = 0; r < 4; r++) {
                        String u = users[(ci + 3 * r) % users.length];
                        got.add(new String[]{u, client.chat().completions().create(chat(u, MAX)).choices().getFirst().message().content().orElseThrow()});
                    }
                    return got;
                }));
            }
            int done = 0;
            for (Future<List<String[]>> f : clients) {
                for (String[] g : f.get()) {
                    assertEquals(alone.get(g[0]), g[1], "together vs alone: " + g[0]);
                    done++;
                }
            }
            assertEquals(32, done);
        }
        long steps = metric("kiln_decode_steps_total") - steps0, tokens = metric("kiln_generated_tokens_total") - tokens0;
        assertTrue(steps < tokens * 2 / 3, "slots decoded together: " + steps + " steps for " + tokens + " tokens");
        JsonNode health = server.json(server.call("GET", "/health", null, null));
        assertEquals(0, health.get("slots_processing").asInt());
    }

    @Test
    void badRequestsGetErrorJsonAndTheServerKeepsServing() throws Exception {
        Fixtures.require();
        HttpResponse<String> r = server.call("POST", "/v1/chat/completions", "{\"messages\": [", null);
        assertEquals(400, r.statusCode());
        assertError(server.json(r), "invalid_request_error");
        r = server.call("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", null);
        assertEquals(400, r.statusCode());
        assertTrue(server.json(r).get("error").get("message").asText().contains("temperature"));
        r = server.call("GET", "/v1/nothing-here", null, null);
        assertEquals(404, r.statusCode());
        assertError(server.json(r), "not_found_error");
        var nf = assertThrows(NotFoundException.class, () -> client.chat().completions().create(chat("x", 2).toBuilder().model("gpt-4o").build()));
        assertEquals(404, nf.statusCode());
        var br = assertThrows(BadRequestException.class, () -> client.chat().completions().create(chat("x", 2).toBuilder().n(2).build()));
        assertEquals(400, br.statusCode());
        assertEquals(2, client.chat().completions().create(chat("still there?", 2)).usage().orElseThrow().completionTokens());
    }

    static long metric(String name) throws Exception {
        for (String l : server.call("GET", "/metrics", null, null).body().split("\n")) {
            if (l.startsWith(name + " ")) return Long.parseLong(l.substring(name.length() + 1).trim());
        }
        throw new AssertionError("no metric " + name);
    }

    @Test
    void streamedTextCompletionEqualsWholeOne() {
        Fixtures.require();
        CompletionCreateParams p = CompletionCreateParams.builder().model(TestServer.NAME).prompt("JULIET:")
                .maxTokens(MAX).temperature(0.0).build();
        String whole = client.completions().create(p).choices().getFirst().text();
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(p)) {
            s.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertEquals(whole, streamed.toString());
    }

    static void assertError(JsonNode body, String type) {
        JsonNode e = body.get("error");
        assertTrue(e != null && e.get("message").isTextual() && !e.get("message").asText().isEmpty(), body.toString());
        assertEquals(type, e.get("type").asText());
        assertTrue(e.has("code"), body.toString());
        assertFalse(body.toString().contains("at kiln."), "no stack trace: " + body);
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        Fixtures.require();
        JsonNode t = server.json(server.call("POST", "/tokenize", "{\"content\":\"ROMEO: hi\"}", null));
        int[] ids = new int[t.get("tokens").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = t.get("tokens").get(i).asInt();
        assertEquals(java.util.Arrays.toString(server.model.tokenizer().encode("ROMEO: hi", false, true)), java.util.Arrays.toString(ids));
        JsonNode d = server.json(server.call("POST", "/detokenize", "{\"tokens\":" + java.util.Arrays.toString(ids) + "}", null));
        assertEquals("ROMEO: hi", d.get("content").asText());
        String metrics = server.call("GET", "/metrics", null, null).body();
        assertTrue(metrics.contains("# TYPE kiln_generated_tokens_total counter"), metrics);
    }
}
