package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.testing.Fixtures;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A server on a fixture model, on loopback and an ephemeral port, for the end-to-end tests; mainline numerics, so
 * that a token's logits do not depend on what else is in its batch (bit-identical greedy output).
 */
final class TestServer implements AutoCloseable {
    static final String LLAMA = "tiny-llama/mainline/tiny-llama-bf16.gguf";
    static final String DEEPSEEK = "tiny-deepseek/mainline/tiny-deepseek-bf16.gguf";
    static final String NAME = "tiny";
    static final int CTX = 512;

    final Model model;
    final ServedModel served;
    final KilnServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    TestServer(String gguf, ServerConfig config, ChatTemplate template) {
        Fixtures.require();
        model = ModelLoader.load(Fixtures.file(gguf), options(CTX).withSequences(config.parallel()));
        ChatTemplate t = template != null ? template
                : new ChatTemplate(ChatTemplate.CHATML, model.tokenizer().tokenText(model.tokenizer().bos()), "");
        served = new ServedModel(model, NAME, t, config.reasoning(), new EndOfGeneration(model.tokenizer(), null));
        server = new KilnServer(served, config);
    }

    static ModelOptions options(int ctx) {
        return ModelOptions.defaults().withCtx(ctx).withThreads(2).withNumerics("mainline");
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** A raw request: method, path, body (null: none), Authorization header (null: none). */
    HttpResponse<String> call(String method, String path, String body, String auth) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("Authorization", auth);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(HttpResponse<String> r) throws IOException {
        return Http.JSON.readTree(r.body());
    }

    @Override
    public void close() {
        server.close();
        model.close();
    }
}
