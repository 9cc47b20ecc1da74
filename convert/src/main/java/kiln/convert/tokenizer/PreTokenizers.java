package kiln.convert.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognises {@code tokenizer.ggml.pre} from the pre-tokenizer rules written in tokenizer.json (the regexes of its
 * Split steps and its ByteLevel step), instead of the reference converters' hash of a test string's tokens.
 */
public final class PreTokenizers {
    private PreTokenizers() {}

    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String DSV3_CJK = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";
    private static final String DSV3_MAIN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    /** Known rule sets: the Split regexes in order (then a ByteLevel step) → name. */
    private static final Map<List<String>, String> KNOWN = Map.of(
            List.of("\\p{N}{1,3}", DSV3_CJK, DSV3_MAIN), "deepseek-v3",
            List.of(LLAMA3), "llama-bpe",
            List.of(QWEN2), "qwen2",
            List.of(), "gpt-2");

    /** The name, or null when the rules are not recognised. */
    public static String recognise(JsonNode preTokenizer) {
        if (preTokenizer == null || preTokenizer.isNull()) return null;
        List<String> splits = new ArrayList<>();
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(preTokenizer.path("type").asText())) preTokenizer.path("pretokenizers").forEach(steps::add);
        else steps.add(preTokenizer);
        boolean byteLevel = false;
        for (JsonNode s : steps) {
            String type = s.path("type").asText();
            switch (type) {
                case "Split" -> {
                    JsonNode re = s.path("pattern").path("Regex");
                    if (!re.isTextual()) return null;
                    if (!"Isolated".equals(s.path("behavior").asText()) || s.path("invert").asBoolean(false)) return null;
                    splits.add(re.asText());
                }
                case "ByteLevel" -> {
                    if (byteLevel) return null;
                    byteLevel = true;
                    boolean useRegex = s.path("use_regex").asBoolean(true);
                    if (useRegex != splits.isEmpty()) return null;
                }
                default -> { return null; }
            }
        }
        if (!byteLevel) return null;
        return KNOWN.get(splits);
    }
}
