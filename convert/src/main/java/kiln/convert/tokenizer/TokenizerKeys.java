package kiln.convert.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.convert.hf.JsonDoc;
import kiln.convert.source.HfSource;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json (byte-level BPE) → the tokenizer.* keys, in the order and form of the reference converters'
 * {@code _set_vocab_gpt2} + {@code SpecialVocab} (spec gguf-and-quants.md §6.3).
 */
public final class TokenizerKeys {
    private TokenizerKeys() {}

    private static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;
    private static final String[] SPECIAL_TYPES = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};

    public static void write(GgufMetadata m, HfSource src, JsonDoc config, String vocabPre) {
        String where = src.describe() + "/tokenizer.json";
        JsonDoc tok = JsonDoc.parse(where, src.file("tokenizer.json")
                .orElseThrow(() -> new KilnException(src.describe() + ": no tokenizer.json (Kiln converts byte-level BPE tokenizers)")));
        JsonDoc tcfg = src.file("tokenizer_config.json").map(b -> JsonDoc.parse(src.describe() + "/tokenizer_config.json", b)).orElse(null);
        JsonNode model = tok.get("model");
        if (model == null || !"BPE".equals(model.path("type").asText())) {
            throw new KilnException(where + ": model type is " + (model == null ? "missing" : model.path("type").asText()) + ", expected BPE");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new KilnException(where + ": BPE with byte_fallback (SentencePiece-style) is not supported by Kiln yet");
        }
        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, JsonNode> added = new LinkedHashMap<>();
        JsonNode addedTokens = tok.get("added_tokens");
        if (addedTokens != null) for (JsonNode a : addedTokens) {
            added.put(a.path("id").asInt(), a);
            byId.put(a.path("id").asInt(), a.path("content").asText());
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        Long cfgVocab = config.optLong("vocab_size");
        int vocab = cfgVocab != null ? cfgVocab.intValue() : maxId + 1;
        if (maxId >= vocab) throw new KilnException(where + ": token id " + maxId + " is not below config.json vocab_size " + vocab);

        String pre = vocabPre != null ? vocabPre : PreTokenizers.recognise(tok.get("pre_tokenizer"));
        if (pre == null) {
            throw new KilnException(where + ": pre-tokenizer rules not recognised; name them with --vocab-pre NAME (e.g. deepseek-v3, llama-bpe)");
        }
        String[] tokens = new String[vocab];
        int[] types = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (added.containsKey(i)) {
                if (added.get(i).path("special").asBoolean(false) || looksSpecial(t)) {
                    types[i] = CONTROL;
                } else {
                    t = t.replace("\u2581", " ");
                    types[i] = USER_DEFINED;
                }
                tokens[i] = t;
            } else {
                tokens[i] = t;
                types[i] = NORMAL;
            }
        }
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens));
        m.put("tokenizer.ggml.token_type", GgufValue.ofI32s(types));
        List<String> merges = merges(where, model.get("merges"));
        if (!merges.isEmpty()) m.put("tokenizer.ggml.merges", GgufValue.ofStrings(merges.toArray(String[]::new)));
        SpecialTokens st = SpecialTokens.read(tok, tcfg, config, addedTokens, vocab, src);
        for (var e : st.ids().entrySet()) {
            String key = switch (e.getKey()) {
                case "bos" -> "bos_token_id";
                case "eos" -> "eos_token_id";
                case "unk" -> "unknown_token_id";
                case "sep" -> "seperator_token_id";
                case "pad" -> "padding_token_id";
                case "eot" -> "eot_token_id";
                case "eom" -> "eom_token_id";
                default -> null;
            };
            if (key != null) m.put("tokenizer.ggml." + key, GgufValue.ofU32(e.getValue()));
        }
        for (var e : st.addFlags().entrySet()) {
            if (e.getKey().equals("bos") || e.getKey().equals("eos") || e.getKey().equals("sep")) {
                m.put("tokenizer.ggml.add_" + e.getKey() + "_token", GgufValue.ofBool(e.getValue()));
            }
        }
        if (st.chatTemplate() != null) m.put("tokenizer.chat_template", GgufValue.ofString(st.chatTemplate()));
    }

    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    private static List<String> merges(String where, JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null || !node.isArray() || node.isEmpty()) return out;
        for (JsonNode mnode : node) {
            if (mnode.isTextual()) out.add(mnode.asText());
            else if (mnode.isArray() && mnode.size() == 2) {
                out.add(mnode.get(0).asText().replace(' ', '\u0120') + " " + mnode.get(1).asText().replace(' ', '\u0120'));
            } else throw new KilnException(where + ": unknown merges format");
        }
        return out;
    }
}
