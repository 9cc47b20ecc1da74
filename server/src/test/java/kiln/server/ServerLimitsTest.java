package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.errors.UnauthorizedException;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One slot, a queue of one, an API key and a 4 KiB body limit: a client that disconnects mid-stream frees the slot;
 * a full queue answers 429; a missing or wrong key 401; an oversize body 413 — each with OpenAI's error JSON, and
 * a good request works after each.
 */
class ServerLimitsTest {
    static final String KEY = "sk-test-key";
    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        if (!Fixtures.present()) return;
        server = new TestServer(TestServer.LLAMA, ServerConfig.loopback(1).withApiKey(KEY).withQueue(1).withMaxBody(4096), null);
        client = ServerChatTest.client(server, KEY);
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    private static final String BEARER = "Bearer " + KEY;
    private static final String LONG_STREAM = "{\"prompt\":\"ROMEO:\",\"max_tokens\":480,\"ignore_eos\":true,\"temperature\":0,\"stream\":true}";

    /** A streaming request on a raw socket, read up to its first event; the caller closes it to disconnect. */
    private static Socket openStream() throws Exception {
        Socket s = new Socket("127.0.0.1", server.server.port());
        OutputStream os = s.getOutputStream();
        byte[] body = LONG_STREAM.getBytes(StandardCharsets.UTF_8);
        os.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BEARER + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        os.write(body);
        os.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        assertTrue(line != null && line.contains("200"), "status line: " + line);
        while ((line = in.readLine()) != null && !line.contains("data: ")) { /* headers, chunk sizes */ }
        assertTrue(line != null, "an event before the end");
        return s;
    }

    private static long metric(String name) throws Exception {
        for (String l : server.call("GET", "/metrics", null, BEARER).body().split("\n")) {
            if (l.startsWith(name + " ")) return Long.parseLong(l.substring(name.length() + 1).trim());
        }
        throw new AssertionError("no metric " + name);
    }

    private static void waitIdle() throws Exception {
        for (int i = 0; i < 200 && metric("kiln_slots_busy") > 0; i++) Thread.sleep(50);
        assertEquals(0, metric("kiln_slots_busy"), "the slot is free");
    }

    private static void stillServes() {
        assertEquals(3, client.chat().completions().create(ServerChatTest.chat("Hello", 3).toBuilder()
                .putAdditionalBodyProperty("ignore_eos", com.openai.core.JsonValue.from(true)).build()).usage().orElseThrow().completionTokens());
    }

    @Test
    void clientDisconnectingMidStreamFreesItsSlot() throws Exception {
        Fixtures.require();
        long cancelled = metric("kiln_requests_cancelled_total"), generated = metric("kiln_generated_tokens_total");
        try (Socket s = openStream()) {
            assertEquals(1, metric("kiln_slots_busy"));
        }
        waitIdle();
        assertEquals(cancelled + 1, metric("kiln_requests_cancelled_total"));
        assertTrue(metric("kiln_generated_tokens_total") - generated < 480, "stopped before max_tokens");
        stillServes();
    }

    @Test
    void fullQueueAnswers429() throws Exception {
        Fixtures.require();
        try (Socket s = openStream()) { // holds the only slot
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.call("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}", BEARER);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            for (int i = 0; i < 200 && metric("kiln_queue_length") < 1; i++) Thread.sleep(25);
            assertEquals(1, metric("kiln_queue_length"));
            HttpResponse<String> r = server.call("POST", "/v1/completions", "{\"prompt\":\"b\",\"max_tokens\":2}", BEARER);
            assertEquals(429, r.statusCode());
            ServerChatTest.assertError(server.json(r), "rate_limit_error");
            s.close(); // frees the slot: the queued request runs
            assertEquals(200, queued.get().statusCode());
        }
        waitIdle();
        stillServes();
    }

    @Test
    void missingOrWrongApiKeyIs401() throws Exception {
        Fixtures.require();
        HttpResponse<String> r = server.call("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null);
        assertEquals(401, r.statusCode());
        ServerChatTest.assertError(server.json(r), "authentication_error");
        assertEquals(401, server.call("GET", "/v1/models", null, "Bearer wrong").statusCode());
        OpenAIClient wrong = ServerChatTest.client(server, "sk-wrong");
        try {
            assertEquals(401, assertThrows(UnauthorizedException.class, () -> wrong.models().list()).statusCode());
        } finally {
            wrong.close();
        }
        assertEquals(200, server.call("GET", "/health", null, null).statusCode(), "health needs no key");
        stillServes();
    }

    @Test
    void oversizeBodyIs413() throws Exception {
        Fixtures.require();
        String big = "{\"prompt\":\"" + "a".repeat(100_000) + "\"}";
        HttpResponse<String> r = server.call("POST", "/v1/completions", big, BEARER);
        assertEquals(413, r.statusCode());
        JsonNode e = server.json(r);
        ServerChatTest.assertError(e, "invalid_request_error");
        assertEquals("request_too_large", e.get("error").get("code").asText());
        stillServes();
    }
}
