package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.runtime.eval.Generation;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.sample.Sampler;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-deepseek with DeepSeek-R1's chat template: the prompt ends inside {@code <think>}, so what the model writes
 * up to {@code </think>} is {@code reasoning_content} (llama-server's --reasoning-format deepseek), the rest
 * {@code content}; both together are {@code kiln run}'s greedy text on the rendered prompt. A follow-up turn reuses
 * the slot's cached prefix ({@code timings.cache_n}) and still gives kiln run's text.
 */
class DeepseekChatTest {
    static TestServer server;
    static final int MAX = 12;

    @BeforeAll
    static void start() throws Exception {
        if (!Fixtures.present()) return;
        ChatTemplate r1 = new ChatTemplate(ChatTemplateTest.resource("deepseek-r1.jinja"), ChatTemplateTest.DS_BOS, ChatTemplateTest.DS_EOS);
        server = new TestServer(TestServer.DEEPSEEK, ServerConfig.loopback(2), r1);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static ObjectNode request(String... turns) {
        ObjectNode o = Http.JSON.createObjectNode();
        ArrayNode msgs = o.putArray("messages");
        for (int i = 0; i < turns.length; i++) msgs.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", turns[i]);
        o.put("max_tokens", MAX);
        o.put("temperature", 0);
        return o;
    }

    /** kiln run's greedy text on a prompt, split at </think> the way the server must split it. */
    private static String[] kilnRun(String prompt) {
        try (Model m = ModelLoader.load(Fixtures.file(TestServer.DEEPSEEK), TestServer.options(TestServer.CTX))) {
            int[] ids = m.tokenizer().encode(prompt, true, true);
            Generation.Result r = Generation.run(m, ids, MAX, 2048, new Sampler(m.nVocab(), 0, 40, 0.95f, 0.05f, 1), false, null);
            String text = m.tokenizer().decode(r.generated());
            int i = text.indexOf("</think>");
            return i < 0 ? new String[]{text, ""} : new String[]{text.substring(0, i), text.substring(i + 8).stripLeading()};
        }
    }

    private static JsonNode post(String path, ObjectNode body) throws Exception {
        HttpResponse<String> r = server.call("POST", path, Http.JSON.writeValueAsString(body), null);
        assertEquals(200, r.statusCode(), r.body());
        return server.json(r);
    }

    private static void assertSplit(String[] expected, JsonNode message) {
        assertEquals(expected[0], message.path("reasoning_content").asText(""), "reasoning_content");
        assertEquals(expected[1], message.get("content").asText(), "content");
    }

    @Test
    void thinkingGoesToReasoningContentAndAFollowUpReusesTheCache() throws Exception {
        Fixtures.require();
        ObjectNode first = request("ROMEO: Is the day so young?");
        String prompt = post("/apply-template", first).get("prompt").asText();
        assertTrue(prompt.endsWith("<｜Assistant｜><think>\n"), prompt);
        assertTrue(!prompt.startsWith(ChatTemplateTest.DS_BOS), "BOS comes from tokenizing, not twice");
        JsonNode r1 = post("/v1/chat/completions", first);
        String[] expected = kilnRun(prompt);
        assertTrue(!expected[0].isEmpty());
        assertSplit(expected, r1.get("choices").get(0).get("message"));

        ObjectNode second = request("ROMEO: Is the day so young?", "Ay.", "BENVOLIO: But new struck nine.");
        String prompt2 = post("/apply-template", second).get("prompt").asText();
        JsonNode r2 = post("/v1/chat/completions", second);
        assertTrue(r2.get("timings").get("cache_n").asInt() > 0, "prefix reused: " + r2.get("timings"));
        assertSplit(kilnRun(prompt2), r2.get("choices").get(0).get("message"));
    }
}
