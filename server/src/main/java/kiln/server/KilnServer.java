package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The OpenAI-compatible HTTP server: the JDK's {@code com.sun.net.httpserver}, one virtual thread per request, one
 * {@link Scheduler} thread owning the model. Every error leaves as OpenAI's error JSON with its status; an
 * unexpected failure is a 500 with one line, never a stack trace, and the server keeps serving.
 */
public final class KilnServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService executor;
    private final Scheduler scheduler;
    private final ServerConfig config;
    private final Metrics metrics = new Metrics();
    private final CompletionEndpoint completions;
    private final UtilityEndpoints utility;
    private final byte[] apiKey;

    private interface Handler {
        void handle(HttpExchange ex, JsonNode body) throws IOException;
    }

    KilnServer(ServedModel served, ServerConfig config) {
        this.config = config;
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
        this.scheduler = new Scheduler(served.model, served.endOfGeneration, config.parallel(), config.queueSize(), metrics);
        this.completions = new CompletionEndpoint(served, scheduler, config);
        this.utility = new UtilityEndpoints(served, scheduler, metrics);
        try {
            http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        } catch (BindException e) {
            scheduler.close();
            throw new KilnException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage() + " (choose another --port or --host)");
        } catch (IOException e) {
            scheduler.close();
            throw new KilnException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), 1, e);
        }
        executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", this::dispatch);
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private void dispatch(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                answerError(ex, e);
            } catch (RuntimeException | Error e) {
                answerError(ex, ApiError.internal("internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() != null ? ": " + e.getMessage().lines().findFirst().orElse("") : "")));
            }
        } catch (IOException ignored) {
            // the client went away; nothing to answer
        }
    }

    private void answerError(HttpExchange ex, ApiError e) throws IOException {
        metrics.errors.incrementAndGet();
        if (ex.getResponseCode() != -1) return; // the answer had begun (a stream): nothing more can be said
        Http.sendError(ex, e);
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod();
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        switch (path) {
            case "/health", "/v1/health" -> get(ex, method, path, false, (e, b) -> utility.health(e));
            case "/v1/models", "/models" -> get(ex, method, path, true, (e, b) -> utility.models(e));
            case "/metrics" -> get(ex, method, path, true, (e, b) -> utility.metrics(e));
            case "/v1/chat/completions", "/chat/completions" -> post(ex, method, path, this::countedChat);
            case "/v1/completions", "/completions" -> post(ex, method, path, this::countedText);
            case "/tokenize" -> post(ex, method, path, utility::tokenize);
            case "/detokenize" -> post(ex, method, path, utility::detokenize);
            case "/apply-template" -> post(ex, method, path, utility::applyTemplate);
            default -> throw ApiError.notFound("not_found", "no endpoint " + path);
        }
    }

    private void countedChat(HttpExchange ex, JsonNode body) throws IOException {
        metrics.requests.incrementAndGet();
        completions.chat(ex, body);
    }

    private void countedText(HttpExchange ex, JsonNode body) throws IOException {
        metrics.requests.incrementAndGet();
        completions.text(ex, body);
    }

    private void get(HttpExchange ex, String method, String path, boolean auth, Handler h) throws IOException {
        if (!method.equals("GET")) throw ApiError.methodNotAllowed(method, path);
        if (auth) authorize(ex);
        h.handle(ex, null);
    }

    private void post(HttpExchange ex, String method, String path, Handler h) throws IOException {
        if (!method.equals("POST")) throw ApiError.methodNotAllowed(method, path);
        authorize(ex);
        h.handle(ex, Http.parseJson(Http.readBody(ex, config.maxBodyBytes())));
    }

    /** --api-key: {@code Authorization: Bearer KEY}, compared in constant time. */
    private void authorize(HttpExchange ex) {
        if (apiKey == null) return;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null) throw ApiError.unauthorized("missing Authorization header; expected 'Authorization: Bearer <api key>'");
        if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) throw ApiError.unauthorized("the Authorization header is not 'Bearer <api key>'");
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, apiKey)) throw ApiError.unauthorized("invalid API key");
    }

    @Override
    public void close() {
        http.stop(0);
        scheduler.close();
        executor.shutdownNow();
    }
}
