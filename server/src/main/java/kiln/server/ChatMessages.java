package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.server.ChatTemplate.Message;

import java.util.ArrayList;
import java.util.List;

/** The {@code messages} array of a chat request: role and content (a string, text parts, or null). */
final class ChatMessages {
    private ChatMessages() {}

    static List<Message> parse(JsonNode body) {
        JsonNode msgs = body.get("messages");
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
            throw ApiError.badParam("messages", "messages must be a non-empty array of {role, content}");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiError.badParam("messages", "messages[" + i + "] must be an object with a string role");
            }
            out.add(new Message(m.get("role").asText(), content(m.get("content"), i)));
        }
        return out;
    }

    private static String content(JsonNode c, int i) {
        if (c == null || c.isNull()) return null;
        if (c.isTextual()) return c.asText();
        if (c.isArray()) { // [{type: "text", text: "..."}]: the text parts joined, as llama-server does
            StringBuilder b = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badParam("messages", "messages[" + i + "].content: only text parts are supported");
                }
                if (!b.isEmpty()) b.append('\n');
                b.append(part.get("text").asText());
            }
            return b.toString();
        }
        throw ApiError.badParam("messages", "messages[" + i + "].content must be a string, an array of text parts or null");
    }
}
