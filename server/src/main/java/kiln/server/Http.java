package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading request bodies under a size limit and writing JSON, text and error answers. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Past this much, an oversize body is not read to its end: the connection is closed after the 413. */
    private static final long DRAIN_CAP = 64L << 20;

    private Http() {}

    /** The whole body, or 413 when it is longer than {@code limit} (read to its end so the client sees the answer). */
    static byte[] readBody(HttpExchange ex, long limit) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > DRAIN_CAP) throw ApiError.tooLarge(limit);
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("Content-Length '" + declared + "' is not a number");
            }
        }
        InputStream in = ex.getRequestBody();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        long total = 0;
        for (int r; (r = in.read(buf)) > 0; ) {
            total += r;
            if (total <= limit) out.write(buf, 0, r);
            else if (total > DRAIN_CAP) break;
        }
        if (total > limit) throw ApiError.tooLarge(limit);
        return out.toByteArray();
    }

    static JsonNode parseJson(byte[] body) {
        if (body.length == 0) throw ApiError.badRequest("the request body is empty; expected a JSON object");
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) throw ApiError.badRequest("the request body is not a JSON object");
            return n;
        } catch (IOException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw ApiError.badRequest("the request body is not valid JSON: " + m);
        }
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    static void sendText(HttpExchange ex, int status, String contentType, String text) throws IOException {
        send(ex, status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
    }

    static ObjectNode errorBody(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.putNull("param");
        if (e.code != null) err.put("code", e.code);
        else err.putNull("code");
        return root;
    }

    static void sendError(HttpExchange ex, ApiError e) throws IOException {
        if (e.status == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        sendJson(ex, e.status, errorBody(e));
    }

    /** Opens a server-sent-event stream (200, chunked). */
    static OutputStream openEventStream(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        return ex.getResponseBody();
    }

    /** One event: {@code data: <json>\n\n}, flushed. */
    static void sendEvent(OutputStream os, String data) throws IOException {
        os.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        os.flush();
    }
}
