package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The sampling part of a completion request (OpenAI's names, llama-server's defaults): temperature 0.8, top_p 0.95,
 * top_k 40, min_p 0.05, seed (random when absent or −1), max_tokens (also max_completion_tokens, n_predict), stop
 * (a string or up to 16), n (1 only), stream, stream_options.include_usage and llama-server's ignore_eos. Every field is checked: a wrong
 * type or range is a 400 naming the field.
 */
record SamplingParams(float temperature, float topP, int topK, float minP, long seed, int maxTokens, List<String> stop,
                      boolean stream, boolean includeUsage, boolean ignoreEos) {

    static final int MAX_STOPS = 16;

    static SamplingParams parse(JsonNode body) {
        float temp = (float) number(body, "temperature", 0.8, 0, 100);
        float topP = (float) number(body, "top_p", 0.95, 0, 1);
        int topK = (int) integer(body, "top_k", 40, 0, Integer.MAX_VALUE);
        float minP = (float) number(body, "min_p", 0.05, 0, 1);
        long seed = integer(body, "seed", -1, Long.MIN_VALUE, Long.MAX_VALUE);
        long max = -1;
        for (String name : new String[]{"max_tokens", "max_completion_tokens", "n_predict"}) {
            if (present(body, name)) max = integer(body, name, -1, -1, Integer.MAX_VALUE);
        }
        long n = integer(body, "n", 1, 1, Integer.MAX_VALUE);
        if (n != 1) throw ApiError.badParam("n", "n = " + n + ": Kiln generates one choice per request (n = 1)");
        boolean stream = bool(body, "stream", false);
        boolean usage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.badParam("stream_options", "stream_options must be an object");
            usage = bool(so, "include_usage", false);
        }
        return new SamplingParams(temp, topP, topK, minP, seed, (int) max, stops(body), stream, usage, bool(body, "ignore_eos", false));
    }

    private static boolean present(JsonNode body, String name) {
        return body.has(name) && !body.get(name).isNull();
    }

    static double number(JsonNode body, String name, double dflt, double min, double max) {
        if (!present(body, name)) return dflt;
        JsonNode v = body.get(name);
        if (!v.isNumber()) throw ApiError.badParam(name, name + " must be a number, got " + v.getNodeType().name().toLowerCase());
        double d = v.asDouble();
        if (!(d >= min && d <= max)) throw ApiError.badParam(name, name + " = " + d + " is outside " + min + " … " + max);
        return d;
    }

    static long integer(JsonNode body, String name, long dflt, long min, long max) {
        if (!present(body, name)) return dflt;
        JsonNode v = body.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw ApiError.badParam(name, name + " must be an integer, got " + v);
        long d = v.asLong();
        if (d < min || d > max) throw ApiError.badParam(name, name + " = " + d + " is outside " + min + " … " + max);
        return d;
    }

    static boolean bool(JsonNode body, String name, boolean dflt) {
        if (!present(body, name)) return dflt;
        JsonNode v = body.get(name);
        if (!v.isBoolean()) throw ApiError.badParam(name, name + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static List<String> stops(JsonNode body) {
        List<String> out = new ArrayList<>();
        if (!present(body, "stop")) return out;
        JsonNode v = body.get("stop");
        if (v.isTextual()) {
            if (!v.asText().isEmpty()) out.add(v.asText());
        } else if (v.isArray()) {
            if (v.size() > MAX_STOPS) throw ApiError.badParam("stop", "stop holds " + v.size() + " strings; at most " + MAX_STOPS);
            for (JsonNode s : v) {
                if (!s.isTextual()) throw ApiError.badParam("stop", "stop must hold strings, got " + s);
                if (!s.asText().isEmpty()) out.add(s.asText());
            }
        } else {
            throw ApiError.badParam("stop", "stop must be a string or an array of strings");
        }
        return out;
    }
}
