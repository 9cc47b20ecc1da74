package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;

/** Jackson helpers shared by inspect and validate. */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();
    static final int MAX_ARRAY = 16;

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static String pretty(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String compact(JsonNode n) {
        try {
            return COMPACT.writeValueAsString(n);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A metadata value: scalars as JSON values; arrays as {length, head: first 16 elements, truncated}. */
    static JsonNode value(GgufValue v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (!v.isArray()) return scalar(v.type(), v.value());
        ObjectNode o = f.objectNode();
        o.put("element_type", v.elementType().shortName());
        int n = v.length();
        o.put("length", n);
        ArrayNode head = o.putArray(n > MAX_ARRAY ? "head" : "values");
        for (int i = 0; i < Math.min(n, MAX_ARRAY); i++) {
            Object e = java.lang.reflect.Array.get(v.value(), i);
            switch (v.elementType()) {
                case UINT8, UINT16, UINT32, INT8, INT16, INT32, INT64, BOOL -> head.add(e instanceof Boolean b ? (b ? 1 : 0) : v.longAt(i));
                case UINT64 -> head.add(Long.toUnsignedString(v.longAt(i)));
                default -> head.add(scalar(v.elementType(), e));
            }
        }
        return o;
    }

    private static JsonNode scalar(GgufValueType type, Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (type) {
            case UINT8 -> f.numberNode(((Byte) v) & 0xFF);
            case UINT16 -> f.numberNode(((Short) v) & 0xFFFF);
            case UINT32 -> f.numberNode(((Integer) v) & 0xFFFFFFFFL);
            case UINT64 -> ((Long) v) >= 0 ? f.numberNode((Long) v) : f.textNode(Long.toUnsignedString((Long) v));
            case INT8 -> f.numberNode((Byte) v);
            case INT16 -> f.numberNode((Short) v);
            case INT32 -> f.numberNode((Integer) v);
            case INT64 -> f.numberNode((Long) v);
            case FLOAT32 -> Float.isFinite((Float) v) ? f.numberNode((Float) v) : f.textNode(v.toString());
            case FLOAT64 -> Double.isFinite((Double) v) ? f.numberNode((Double) v) : f.textNode(v.toString());
            case BOOL -> f.booleanNode((Boolean) v);
            case STRING -> f.textNode((String) v);
            default -> f.textNode(String.valueOf(v));
        };
    }
}
